"""Child processes on ports of their own: started, health-checked, stopped by PID.

Output goes to a log file, or (`log=None`) to this process's stdout, each line prefixed with
the process's name. Every child gets a session of its own, so a Ctrl-C in the terminal
reaches only the runner, which then stops the children: SIGTERM, then SIGKILL after a grace
period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
PORT_TAKEN = ("address already in use", "eaddrinuse", "errno 98")
COLOURS = {"products": "\033[36m", "inventory": "\033[35m", "gateway": "\033[33m"}
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class StartupFailed(Exception):
    """A migration failed, or a process died or never became healthy."""


class PortTaken(StartupFailed):
    """A process could not bind its port: something took it after it was picked."""


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Ports free on `host` right now (held open together while picked, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def no_proxy(host: str = HOST) -> str:
    """NO_PROXY extended with `host`, so that no HTTP(S)_PROXY setting reroutes local calls."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    return ",".join(filter(None, [current, host, "localhost"]))


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"({path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


@dataclass
class Process:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    host: str = HOST
    health_path: str = "/health/ready"
    graphql_path: str = "/graphql"
    log: Path | None = None  # None: relay the output to stdout, prefixed with the name
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_start: int = 0  # where this run's output begins in the log

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.url + self.graphql_path

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> None:
        env = os.environ | self.env
        if self.log is None:
            self.popen = self._spawn(env, subprocess.PIPE)
            stream = self.popen.stdout
            threading.Thread(target=self._relay_output, args=(stream,), daemon=True).start()
            return
        with self.log.open("ab") as out:
            self.log_start = out.tell()
            out.write(f"$ {' '.join(self.command)}  (port {self.port})\n".encode())
            out.flush()
            self.popen = self._spawn(env, out)

    def _spawn(self, env: dict[str, str], out: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _relay_output(self, stream: Any) -> None:
        colour, reset = (COLOURS.get(self.name, ""), "\033[0m") if sys.stdout.isatty() else ("", "")
        prefix = f"{colour}{self.name:>9} |{reset} "
        for line in stream:
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    def healthy(self, client: httpx.Client) -> bool:
        """Raise if the process died, else tell whether its health route answers 200."""
        assert self.popen is not None
        code = self.popen.poll()
        if code is not None:
            output = ""
            if self.log is not None:
                output = self.log.read_bytes()[self.log_start :].decode(errors="replace")
            if any(marker in output.lower() for marker in PORT_TAKEN):
                raise PortTaken(f"{self.name}: port {self.port} was taken before it could bind")
            raise StartupFailed(f"{self.name} exited with {code} while starting")
        try:
            return client.get(self.url + self.health_path).status_code == 200
        except httpx.TransportError:
            return False

    def freeze(self) -> None:
        """SIGSTOP: the port stays open, the kernel accepts connections, nobody answers."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGSTOP)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop by PID: SIGTERM, wait, SIGKILL on timeout. Safe to call twice."""
        self.terminate()
        self.reap(timeout)

    def terminate(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
                self.popen.terminate()

    def reap(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait for the process to end; SIGKILL it when it takes longer than `timeout`."""
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)


def run_python(
    jobs: dict[str, tuple[Path, dict[str, str], list[str]]], logs: Path, timeout: float = 900
) -> dict[str, str]:
    """Run `python ARGS` for each `{label: (folder, environment, ARGS)}` side by side, each
    writing to `logs/<label>.log`; return their outputs, or raise naming those that failed."""
    children = {}
    for label, (cwd, env, args) in jobs.items():
        with (logs / f"{label}.log").open("wb") as out:
            children[label] = subprocess.Popen(
                [sys.executable, *args],
                cwd=cwd,
                env=os.environ | env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    failures, deadline = [], time.monotonic() + timeout
    for label, child in children.items():
        try:
            code: object = child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            code = "a timeout"
        if code != 0:
            failures.append(f"{label} ended with {code}:\n{tail(logs / f'{label}.log')}")
    if failures:
        raise StartupFailed("\n\n".join(failures))
    return {label: (logs / f"{label}.log").read_text(errors="replace") for label in jobs}


def wait_until_healthy(processes: Iterable[Process], timeout: float = START_TIMEOUT) -> None:
    waiting = {process.name: process for process in processes}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while waiting:
            for name, process in list(waiting.items()):
                if process.healthy(client):
                    del waiting[name]
            if waiting and time.monotonic() > deadline:
                raise StartupFailed(f"not healthy after {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(0.05)


def start(build: Callable[[], list[Process]], attempts: int = 3) -> list[Process]:
    """Start what `build` returns, all at once, and wait until each is healthy. When a port
    was taken in between, stop them all and start a fresh `build()` (on new ports)."""
    for attempt in range(1, attempts + 1):
        processes = build()
        try:
            for process in processes:
                process.start()
            wait_until_healthy(processes)
            return processes
        except PortTaken:
            stop(processes)
            if attempt == attempts:
                raise
        except BaseException:
            stop(processes)
            raise
    raise AssertionError("unreachable")


def stop(processes: Iterable[Process]) -> None:
    """SIGTERM every process (the last started first), then wait for each, SIGKILL on timeout;
    keep going when stopping one of them fails."""
    ordered = list(reversed(list(processes)))
    errors = []
    for step in (Process.terminate, Process.reap):
        for process in ordered:
            try:
                step(process)
            except Exception as error:  # keep stopping the others
                errors.append(f"{process.name}: {error!r}")
    if errors:
        raise RuntimeError("could not stop: " + "; ".join(errors))
