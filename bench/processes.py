"""Server processes under test: started on free ports of 127.0.0.1, stopped by PID.

Each process runs as `make up` runs it (scripts/dev.py): uvicorn with one worker from the
service's folder, the gateway with node. Output goes to one log file per process, whose tail
is shown when a process does not come up. A process that loses the race for its port is
started again on another one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
PORT_TAKEN = ("address already in use", "eaddrinuse", "errno 98")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class StartupFailed(Exception):
    """A process died or never answered its health route."""


def free_port() -> int:
    """A port free on HOST right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def no_proxy() -> str:
    """NO_PROXY extended with HOST, so that no HTTP(S)_PROXY setting reroutes local calls."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    return ",".join(filter(None, [current, HOST, "localhost"]))


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"({path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def uvicorn_command(app: str) -> list[str]:
    """The command `make up` runs for a subgraph: one uvicorn worker, no access log."""
    command = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", HOST]
    return [*command, "--port", "{port}", "--no-access-log"]


@dataclass
class Server:
    """One server process. `{port}` in the command or env is replaced by its port."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    health_path: str = "/health/ready"
    graphql_path: str = "/graphql"
    port: int = 0
    log_start: int = 0  # where this run's output begins in the log
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.url + self.graphql_path

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self, attempts: int = 3) -> None:
        """Start on a free port and wait until the health route answers 200."""
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            self.spawn()
            try:
                self.wait_until_healthy()
                return
            except _PortTaken:
                self.stop()
                if attempt == attempts:
                    raise StartupFailed(f"{self.name}: no free port in {attempts} tries") from None
            except BaseException:
                self.stop()
                raise

    def spawn(self) -> None:
        """Start the process on `self.port`, its output appended to its log."""
        fill = {"port": str(self.port)}
        command = [part.format_map(fill) for part in self.command]
        env = os.environ | {k: v.format_map(fill) for k, v in self.env.items()}
        with self.log.open("ab") as out:
            self.log_start = out.tell()
            out.write(f"$ {' '.join(command)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self) -> None:
        """Poll the health route until it answers 200; raise if the process dies first."""
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.popen is not None
                if self.popen.poll() is not None:
                    output = self.log.read_bytes()[self.log_start :].decode(errors="replace")
                    if any(marker in output.lower() for marker in PORT_TAKEN):
                        raise _PortTaken
                    raise StartupFailed(
                        f"{self.name} exited with {self.popen.returncode}:\n{tail(self.log)}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if client.get(self.url + self.health_path).status_code == 200:
                        return
                time.sleep(0.1)
        raise StartupFailed(
            f"{self.name} not healthy after {START_TIMEOUT:.0f} s:\n{tail(self.log)}"
        )

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (from /proc/<pid>/stat)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mib(self) -> float:
        """The process's peak resident set size so far (VmHWM), in MiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL after a grace period. Safe to call twice."""
        child = self.popen
        if child is None or child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=STOP_TIMEOUT)


class _PortTaken(Exception):
    pass


@dataclass
class Fleet:
    """The servers of one run, stopped together (in reverse start order) on exit."""

    servers: dict[str, Server] = field(default_factory=dict)

    def start(self, *servers: Server) -> None:
        """Start `servers` side by side (each waits on its own health route)."""
        for server in servers:
            self.servers[server.name] = server
            server.port = free_port()
            server.spawn()
        for server in servers:
            try:
                server.wait_until_healthy()
            except _PortTaken:
                server.stop()
                server.start()

    def __getitem__(self, name: str) -> Server:
        return self.servers[name]

    def peak_rss(self) -> dict[str, float]:
        return {name: round(s.peak_rss_mib(), 1) for name, s in self.servers.items()}

    def stop(self) -> None:
        for server in reversed(list(self.servers.values())):
            with contextlib.suppress(Exception):
                server.stop()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
