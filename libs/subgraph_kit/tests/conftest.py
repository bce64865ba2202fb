"""The kit's own fixtures: the tiny subgraph over a fresh SQLite file, clients, empty databases.

`client` (keyed, over `app`), `statements` and `anyio_backend` come from the kit's pytest plugin.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine, create_session_factory
from subgraph_kit_testing.broker import ExchangeTap, unique_prefix
from subgraph_kit_testing.databases import postgres_server_url
from subgraph_kit_testing.http import API_KEY
from tiny_subgraph.api import create_app
from tiny_subgraph.notes import Base, NotesUnitOfWork

POSTGRES_UNREACHABLE = (
    "Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail instead)"
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo what `configure_logging` (called by every app) does to the root logger."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file holding the tiny subgraph's tables (and the outbox), empty."""
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def settings(**overrides: Any) -> ServiceSettings:
    """Settings of the tiny subgraph: the test key, no background relay pass during a test."""
    return ServiceSettings(**{"api_key": API_KEY, "outbox_poll_seconds": 3600} | overrides)


@pytest.fixture
def make_app(sqlite_url: str) -> Iterator[Callable[..., FastAPI]]:
    """Build the tiny subgraph with settings overridden (`environment="production"`, ...)."""
    made: list[FastAPI] = []

    def make(**overrides: Any) -> FastAPI:
        made.append(create_app(settings(**{"database_url": sqlite_url} | overrides)))
        return made[-1]

    yield make
    for app in made:
        app.state.runtime.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., Any]]:
    """Open an in-process client of an app, sending `headers` (closed after the test)."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(app: FastAPI, **headers: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)
            return await stack.enter_async_context(client)

        yield make


@pytest.fixture
async def anonymous(app: FastAPI, make_client: Callable[..., Any]) -> httpx.AsyncClient:
    """A client of `app` that sends no API key."""
    return await make_client(app)


@pytest.fixture
def postgres_server() -> str:
    """The URL of the Postgres server the tests may use; skip the test when there is none."""
    server = postgres_server_url()
    if server is None:
        pytest.skip(POSTGRES_UNREACHABLE)
    return server


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on each engine; on Postgres, one made for the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"subgraph_kit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def uow_factory(empty_database: str) -> Iterator[Callable[[], NotesUnitOfWork]]:
    """Units of work over the tiny subgraph's tables on each engine."""
    engine = create_db_engine(ServiceSettings(database_url=empty_database))
    Base.metadata.create_all(engine)
    sessions = create_session_factory(engine)
    yield lambda: NotesUnitOfWork(sessions)
    engine.dispose()


@pytest.fixture
def exchange() -> str:
    """A topic exchange name of the test's own."""
    return unique_prefix() + "inventory.events"


@pytest.fixture
async def tap(broker_url: str, exchange: str) -> AsyncIterator[ExchangeTap]:
    """Every message published to `exchange` while the test runs."""
    async with ExchangeTap(broker_url, exchange) as tapped:
        yield tapped
