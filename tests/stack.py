"""Real processes for the cross-service tests: both subgraphs and the local gateway.

Each process runs as `make up` runs it (scripts/dev.py): the subgraphs with uvicorn from their
folder after `alembic upgrade head`, each on its own SQLite file; the gateway with node. Every
process listens on 127.0.0.1 on a port that was free a moment before; the rare loser of a race
for a port is started again on another one. Output goes to one log file per process, whose
tail is shown when something goes wrong. Processes are stopped by PID: SIGTERM, then SIGKILL
after a grace period.

`GraphQLClient` is the `gql` client the tests talk through. `CountingProxy` is a threaded
HTTP proxy that records the requests it forwards, put between the gateway and a subgraph to
see what the gateway sends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

ROOT = Path(__file__).resolve().parents[1]
GATEWAY_DIR = ROOT / "gateway"
SUPERGRAPH = ROOT / "supergraph.graphql"
HOST = "127.0.0.1"
MIGRATE_TIMEOUT = 60.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
POLL_SECONDS = 0.05
PORT_TAKEN = ("address already in use", "eaddrinuse", "errno 98")
TAIL_LINES = 40


def node_binary() -> str:
    """`node`, or skip (fail when CI=true) if it is not installed."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is not on PATH; CI must run the gateway and composition tests")
        pytest.skip("node is not on PATH: the composition and gateway tests need Node 20+")
    if not (GATEWAY_DIR / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.fail("gateway/node_modules is missing: run `make install`")
    return node


def no_proxy() -> str:
    """NO_PROXY extended with HOST, so that no HTTP(S)_PROXY setting reroutes local calls."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    return ",".join(filter(None, [current, HOST, "localhost"]))


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"({path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def free_ports(count: int) -> list[int]:
    """Ports free on HOST right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


class PortTaken(Exception):
    """A process could not bind its port: someone took it after we picked it."""


class StartupFailed(Exception):
    """A migration failed, or a process died or never became healthy."""


@dataclass
class Process:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    port: int
    health_path: str
    popen: subprocess.Popen[bytes] | None = None
    log_start: int = 0  # where this run's output begins in the log

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql" if self.name != "gateway" else f"{self.url}/"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.log_start = out.tell()
            out.write(f"$ {' '.join(self.command)}  (port {self.port})\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=os.environ | self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def healthy(self, client: httpx.Client) -> bool:
        """Raise if the process died, else tell whether its health route answers 200."""
        assert self.popen is not None
        code = self.popen.poll()
        if code is not None:
            with self.log.open("rb") as log:
                log.seek(self.log_start)
                output = log.read().decode(errors="replace").lower()
            if any(marker in output for marker in PORT_TAKEN):
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

    def stop(self) -> None:
        """Stop by PID: SIGTERM, wait, SIGKILL on timeout. Safe to call twice."""
        child = self.popen
        if child is None or child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGCONT)  # a frozen process could not act on SIGTERM
            child.terminate()
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=STOP_TIMEOUT)


@dataclass
class Stack:
    """products, inventory and the gateway on SQLite files under `workdir`.

    With `inventory_route`, the gateway reaches inventory through that proxy.
    """

    workdir: Path
    api_key: str
    processes: dict[str, Process] = field(default_factory=dict)

    def start(self, inventory_route: CountingProxy | None = None, attempts: int = 3) -> None:
        node = node_binary()  # skip before doing anything when node is missing
        self.migrate()
        for attempt in range(1, attempts + 1):
            try:
                self._start_processes(node, inventory_route)
                return
            except PortTaken:
                self.stop()
                if attempt == attempts:
                    raise
            except BaseException:
                self.stop()
                raise

    def migrate(self) -> None:
        """`alembic upgrade head` for both subgraphs, side by side."""
        runs = {}
        for name in ("products", "inventory"):
            log = self.workdir / f"{name}-migrate.log"
            with log.open("wb") as out:
                runs[name] = (
                    subprocess.Popen(
                        [sys.executable, "-m", "alembic", "upgrade", "head"],
                        cwd=ROOT / "subgraphs" / name,
                        env=os.environ | self.subgraph_env(name),
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
        failures = []
        deadline = time.monotonic() + MIGRATE_TIMEOUT
        for name, (child, log) in runs.items():
            try:
                code = child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                code = "a timeout"
            if code != 0:
                failures.append(f"alembic upgrade head for {name} ended with {code}:\n{tail(log)}")
        if failures:
            raise StartupFailed("\n\n".join(failures))

    def subgraph_env(self, name: str) -> dict[str, str]:
        return {
            "DATABASE_URL": f"sqlite:///{self.workdir / f'{name}.db'}",
            "API_KEY": self.api_key,
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "INFO",
            "NO_PROXY": no_proxy(),
            "no_proxy": no_proxy(),
        }

    def _start_processes(self, node: str, inventory_route: CountingProxy | None) -> None:
        products_port, inventory_port, gateway_port = free_ports(3)
        python = [sys.executable, "-m", "subgraph_kit.serve", "--factory", "app.main:create_app"]
        python += ["--host", HOST, "--no-access-log", "--port"]
        products = Process(
            "products",
            [*python, str(products_port)],
            ROOT / "subgraphs" / "products",
            self.subgraph_env("products"),
            self.workdir / "products.log",
            products_port,
            "/health/ready",
        )
        inventory = Process(
            "inventory",
            [*python, str(inventory_port)],
            ROOT / "subgraphs" / "inventory",
            self.subgraph_env("inventory")
            | {"PRODUCTS_URL": products.graphql_url, "PRODUCTS_API_KEY": self.api_key},
            self.workdir / "inventory.log",
            inventory_port,
            "/health/ready",
        )
        inventory_url = inventory.graphql_url
        if inventory_route is not None:
            inventory_route.target = inventory.url
            inventory_url = inventory_route.url + "/graphql"
        gateway = Process(
            "gateway",
            [node, "gateway.mjs"],
            GATEWAY_DIR,
            {
                "HOST": HOST,
                "PORT": str(gateway_port),
                "PRODUCTS_URL": products.graphql_url,
                "INVENTORY_URL": inventory_url,
                "SUPERGRAPH_PATH": str(SUPERGRAPH),
                "NO_PROXY": no_proxy(),
            },
            self.workdir / "gateway.log",
            gateway_port,
            "/health",
        )
        self.processes = {p.name: p for p in (products, inventory, gateway)}
        # The gateway reads a static supergraph and inventory connects to products lazily,
        # so all three can start at once.
        for process in self.processes.values():
            process.start()
        self.wait_until_healthy()

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        waiting = dict(self.processes)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while waiting:
                for name, process in list(waiting.items()):
                    if process.healthy(client):
                        del waiting[name]
                if not waiting:
                    return
                if time.monotonic() > deadline:
                    raise StartupFailed(f"not healthy after {timeout:.0f} s: {', '.join(waiting)}")
                time.sleep(POLL_SECONDS)

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    @property
    def gateway_url(self) -> str:
        return self["gateway"].graphql_url

    def stop(self) -> None:
        """Stop every process, the gateway first, even when stopping one of them fails."""
        errors = []
        for process in reversed(list(self.processes.values())):
            try:
                process.stop()
            except Exception as error:  # keep stopping the others
                errors.append(f"{process.name}: {error!r}")
        if errors:
            raise RuntimeError("could not stop: " + "; ".join(errors))

    def logs(self) -> str:
        return "\n\n".join(
            f"--- {p.name} ({p.log}):\n{tail(p.log)}" for p in self.processes.values()
        )


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON body, or the raw text when it is not JSON

    @property
    def query(self) -> str:
        return self.body.get("query", "") if isinstance(self.body, dict) else ""


class CountingProxy:
    """Forwards every request to `target` and records it. Bound to 127.0.0.1 on a free port."""

    HOP_BY_HOP = frozenset(
        {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
    )

    def __init__(self) -> None:
        self.target = ""
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.forward()

            def do_POST(self) -> None:
                self.forward()

            def forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                proxy.record(self.command, self.path, dict(self.headers.items()), raw)
                status, headers, body = proxy.send(self.command, self.path, self.headers, raw)
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in CountingProxy.HOP_BY_HOP | {"content-length"}:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def record(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> None:
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        lowered = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.requests.append(Recorded(method, path, lowered, body))

    def send(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any, bytes]:
        target = httpx.URL(self.target)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in self.HOP_BY_HOP}
            connection.request(method, path, body=raw, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        except OSError as error:
            message = {"errors": [{"message": f"proxy: {target} unreachable: {error}"}]}
            return 502, [("content-type", "application/json")], json.dumps(message).encode()
        finally:
            connection.close()

    def take(self) -> list[Recorded]:
        """The requests recorded since the last call, then forget them."""
        with self.lock:
            taken, self.requests = self.requests, []
        return taken

    def __enter__(self) -> CountingProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_stack(
    workdir: Path, api_key: str, inventory_route: CountingProxy | None = None
) -> Iterator[Stack]:
    """A started Stack, always stopped on exit; a failed start fails the test with the logs."""
    stack = Stack(workdir, api_key)
    try:
        failure = None
        try:
            stack.start(inventory_route)
        except (StartupFailed, PortTaken) as error:
            failure = f"the stack did not start: {error}"
        if failure is not None:  # outside the except block: no chained traceback
            pytest.fail(f"{failure}\n\n{stack.logs()}", pytrace=False)
        yield stack
    finally:
        stack.stop()


class GraphQLClient:
    """A synchronous `gql` session (HTTPXTransport) on one URL, sending `api_key` as X-API-Key.

    `execute` returns `data`, or raises gql's TransportQueryError (with `.errors` and `.data`)
    when the answer holds errors.
    """

    def __init__(self, url: str, api_key: str | None, timeout: float = 10.0) -> None:
        headers = {} if api_key is None else {"X-API-Key": api_key}
        transport = HTTPXTransport(url=url, headers=headers, timeout=timeout, trust_env=False)
        self.client = Client(transport=transport, fetch_schema_from_transport=False)
        self.session = self.client.connect_sync()

    def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        return self.session.execute(GraphQLRequest(query, variable_values=variables))

    def close(self) -> None:
        self.client.close_sync()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
