"""The catalog app over a migrated database (SQLite always, Postgres when reachable).

`database_url`, `client`, `statements` and `is_postgres` come from the kit's pytest plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from subgraph_kit_testing.databases import empty_tables
from subgraph_kit_testing.http import API_KEY

from app.infrastructure.db.models import Base
from app.main import create_app
from app.settings import Settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app over a database emptied before each test."""
    application = create_app(settings)
    empty_tables(application.state.runtime.engine, Base.metadata)
    yield application
    application.state.runtime.engine.dispose()
