"""Test support shared by the subgraphs' suites: migrated databases on SQLite and Postgres,
a SQL statement counter, and a GraphQL call helper."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from subgraph_kit.settings import normalise_database_url

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def migrate(service_root: Path, database_url: str) -> None:
    """Apply a service's Alembic migrations to `database_url`."""
    config = Config(str(service_root / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def postgres_server_url() -> str | None:
    """Return a reachable Postgres URL, or None; fail instead when REQUIRE_POSTGRES=1."""
    url = normalise_database_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but Postgres is unreachable at {url}: {error}")
        return None
    return url


def migrated_database(
    engine_name: str, service_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database ("sqlite" or "postgres"); drop it after."""
    service = service_root.name
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / f'{service}.db'}"
        migrate(service_root, url)
        yield url
        return
    server = postgres_server_url()
    if server is None:
        pytest.skip("Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail)")
    name = f"{service}_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(service_root, url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(engine: sa.Engine, tables: tuple[str, ...]) -> None:
    """Delete every row of `tables` (children first), so each test starts from nothing."""
    with engine.begin() as connection:
        for table in tables:
            connection.execute(sa.text(f"DELETE FROM {table}"))


class StatementCounter:
    """Count the SQL statements an engine executes, while attached with `counting(engine)`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


def counting(engine: sa.Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(engine, "before_cursor_execute", counter)


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded body (asserting HTTP 200)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def schema_drift(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    """What autogenerate would still write: the difference between models and migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that a test can cut and restore, to fake a database outage.

    `cut("refuse")`: existing connections are reset and new ones refused (the server is down);
    `cut("blackhole")`: existing connections are reset, new ones accepted but never answered
    (the server is unreachable). `restore()` forwards again on the same port.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]
        self._serve()

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        return listener

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            with self.lock:
                self.sockets.add(client)
            if self.mode == "forward":
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self.lock:
            self.sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _reset_all(self) -> None:
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    # Linger 0: close with a reset, as a crashed server's host would.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
            self.sockets.clear()

    def cut(self, mode: str = "refuse") -> None:
        self.mode = mode
        if mode == "refuse":
            self.listener.close()
        self._reset_all()

    def restore(self) -> None:
        if self.mode == "refuse":
            self.listener = self._listen(self.port)
            self._serve()
        self.mode = "forward"

    def close(self) -> None:
        self.listener.close()
        self._reset_all()
