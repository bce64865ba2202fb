"""The inventory app over a migrated database (SQLite always, Postgres when reachable), with
the products subgraph as a fake; and a products subgraph that misbehaves on demand.

`database_url`, `client`, `statements` and `is_postgres` come from the kit's pytest plugin.
"""

from __future__ import annotations

import http.server
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from subgraph_kit_testing.http import API_KEY

from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import empty_database
from tests.integration.misbehaving_products import misbehaving_products
from tests.unit.fakes import FakeCatalog


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600)


@pytest.fixture
def catalog() -> FakeCatalog:
    """The products subgraph as a fake; tests register the products that exist."""
    return FakeCatalog()


@pytest.fixture
def app(settings: Settings, catalog: FakeCatalog) -> Iterator[FastAPI]:
    """The app over a database emptied before each test (but for the DEFAULT location)."""
    application = create_app(settings, catalog=catalog)
    empty_database(application.state.runtime.engine)
    yield application
    application.state.runtime.engine.dispose()


@pytest.fixture
def product(catalog: FakeCatalog) -> str:
    """A product id the (fake) catalog knows."""
    return str(catalog.add(uuid.uuid4()))


@pytest.fixture
def misbehaving() -> Iterator[http.server.ThreadingHTTPServer]:
    """A products subgraph answering as the test sets it (`status`, `body`, `delay`,
    `resets`), counting the requests it gets (`hits`)."""
    with misbehaving_products() as server:
        yield server
