"""Fixtures: the ASGI app over migrated databases, SQLite always and Postgres when reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from subgraph_kit.testing import StatementCounter, counting, empty_tables, migrated_database

from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import API_KEY

SERVICE_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database for the whole session, dropped at the end."""
    yield from migrated_database(request.param, SERVICE_ROOT, tmp_path_factory)


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app over a database emptied before each test."""
    application = create_app(settings)
    empty_tables(application.state.runtime.engine, ("outbox_events", "products"))
    yield application
    application.state.runtime.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": API_KEY}
    ) as http:
        yield http


@pytest.fixture
def statements(app: FastAPI) -> Iterator[StatementCounter]:
    yield from counting(app.state.runtime.engine)
