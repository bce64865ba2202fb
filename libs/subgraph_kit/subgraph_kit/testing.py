"""Test support shared by the subgraphs' suites: migrated databases on SQLite and Postgres,
a SQL statement counter, and a GraphQL call helper."""

from __future__ import annotations

import os
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
