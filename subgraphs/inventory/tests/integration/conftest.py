"""Fixtures: the ASGI app over migrated databases, SQLite always and Postgres when reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings, normalise_database_url
from tests.integration.helpers import StatementCounter
from tests.unit.fakes import FakeCatalog

SERVICE_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-key"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TABLES = ("outbox_events", "idempotency_keys", "stock_movements", "stock_levels")


def migrate(database_url: str) -> None:
    config = Config(str(SERVICE_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def postgres_server_url() -> str | None:
    """Return a reachable Postgres URL; fail instead of skipping when REQUIRE_POSTGRES=1."""
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


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database for the whole session, dropped at the end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'inventory.db'}"
        migrate(url)
        yield url
        return
    server = postgres_server_url()
    if server is None:
        pytest.skip("Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail)")
    name = f"inventory_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600)


@pytest.fixture
def catalog() -> FakeCatalog:
    """The products subgraph as a fake; tests register the products that exist."""
    return FakeCatalog()


@pytest.fixture
def app(settings: Settings, catalog: FakeCatalog) -> Iterator[FastAPI]:
    """The app over a database emptied before each test."""
    application = create_app(settings, catalog=catalog)
    engine = application.state.container.engine
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(sa.text(f"DELETE FROM {table}"))
    yield application
    engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": API_KEY}
    ) as http:
        yield http


@pytest.fixture
def statements(app: FastAPI) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    engine = app.state.container.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def product(catalog: FakeCatalog) -> str:
    """A product id the (fake) catalog knows."""
    return str(catalog.add(uuid.uuid4()))
