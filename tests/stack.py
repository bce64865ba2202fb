"""Real processes for the cross-service tests: both subgraphs and the local gateway.

The processes are started by the repository's one runner (`runner/`, what `make up` uses):
the subgraphs as `make up` runs them, after `alembic upgrade head`, each on its own SQLite
file; the gateway with node. Every process listens on 127.0.0.1 on a port that was free a
moment before (the rare loser of a race for a port is started again on another one), and
writes to one log file, whose tail is shown when something goes wrong.

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
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

import runner
from runner import HOST, ROOT, SUPERGRAPH, PortTaken, Process, StartupFailed, no_proxy, tail

__all__ = ["ROOT", "SUPERGRAPH", "CountingProxy", "GraphQLClient", "Stack", "running_stack"]

STOP_TIMEOUT = 5.0


def node_binary() -> str:
    """`node`, or skip (fail when CI=true) if it is not installed."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is not on PATH; CI must run the gateway and composition tests")
        pytest.skip("node is not on PATH: the composition and gateway tests need Node 20+")
    if not (ROOT / "gateway" / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.fail("gateway/node_modules is missing: run `make install`")
    return node


@dataclass
class Stack:
    """products, inventory and the gateway on SQLite files under `workdir`.

    With `inventory_route`, the gateway reaches inventory through that proxy.
    """

    workdir: Path
    api_key: str
    processes: dict[str, Process] = field(default_factory=dict)
    # Added to both subgraphs' environment.
    env: dict[str, str] = field(default_factory=dict)
    # Added to the gateway's environment.
    gateway_env: dict[str, str] = field(default_factory=dict)

    def start(self, inventory_route: CountingProxy | None = None) -> None:
        node_binary()  # skip before doing anything when node is missing
        databases = {name: (name, self.database_url(name)) for name in ("products", "inventory")}
        runner.migrate(databases, self.workdir)

        def build() -> list[Process]:
            products_port, inventory_port, gateway_port = runner.free_ports(3)
            products = self.subgraph("products", products_port, {})
            catalog = {"PRODUCTS_URL": products.graphql_url, "PRODUCTS_API_KEY": self.api_key}
            inventory = self.subgraph("inventory", inventory_port, catalog)
            inventory_url = inventory.graphql_url
            if inventory_route is not None:
                inventory_route.target = inventory.url
                inventory_url = inventory_route.url + "/graphql"
            urls = {"PRODUCTS_URL": products.graphql_url, "INVENTORY_URL": inventory_url}
            gateway_env = urls | {"ENVIRONMENT": "development"} | self.gateway_env
            gateway = runner.gateway(gateway_port, gateway_env, log=self.workdir / "gateway.log")
            # The gateway reads a static supergraph and inventory connects to products
            # lazily, so all three can start at once.
            self.processes = {p.name: p for p in (products, inventory, gateway)}
            return list(self.processes.values())

        runner.start(build)

    def database_url(self, name: str) -> str:
        return f"sqlite:///{self.workdir / f'{name}.db'}"

    def subgraph_env(self, name: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url(name),
            "API_KEY": self.api_key,
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "INFO",
            "no_proxy": no_proxy(),
        } | self.env

    def subgraph(self, name: str, port: int, env: dict[str, str]) -> Process:
        url, log = self.database_url(name), self.workdir / f"{name}.log"
        return runner.subgraph(name, port, url, env=self.subgraph_env(name) | env, log=log)

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    @property
    def gateway_url(self) -> str:
        return self["gateway"].graphql_url

    def stop(self) -> None:
        """Stop every process, the gateway first, even when stopping one of them fails."""
        runner.stop(self.processes.values())

    def logs(self) -> str:
        return "\n\n".join(
            f"--- {p.name} ({p.log}):\n{tail(p.log)}"
            for p in self.processes.values()
            if p.log is not None
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

    def pick(self) -> str:
        """The URL this request goes to (a balancer picks one of several)."""
        return self.target

    def send(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any, bytes]:
        target = httpx.URL(self.pick())
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
    workdir: Path,
    api_key: str,
    inventory_route: CountingProxy | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """A started Stack, always stopped on exit; a failed start fails the test with the logs.
    `env` is added to both subgraphs' environment."""
    stack = Stack(workdir, api_key, env=env or {})
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
