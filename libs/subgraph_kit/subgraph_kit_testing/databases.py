"""Migrated databases for tests: a SQLite file, or a Postgres database made and dropped per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from subgraph_kit.settings import normalise_database_url

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def migrate(service_root: Path, database_url: str) -> None:
    """Apply a service's Alembic migrations ([tool.alembic] of its pyproject) to `database_url`."""
    config = Config(toml_file=str(service_root / "pyproject.toml"))
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


def empty_tables(engine: sa.Engine, metadata: sa.MetaData) -> None:
    """Delete every row of every table of `metadata` (children first), so a test starts empty."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def schema_drift(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    """What autogenerate would still write: the difference between models and migrations."""
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def insert_rows(engine: sa.Engine, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Write `rows` straight to `table` in one transaction (test data, no use case)."""
    with engine.begin() as connection:
        connection.execute(sa.insert(table), rows)
