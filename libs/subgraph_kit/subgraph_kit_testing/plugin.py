"""Fixtures every subgraph's suite shares (registered through the `pytest11` entry point).

A service's conftest provides `app` (its FastAPI app over `database_url`); the plugin gives
the rest: the migrated database on each engine, a keyed HTTP client, a statement counter, RabbitMQ.
The service's folder is pytest's rootdir (its pyproject.toml holds the pytest settings).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from subgraph_kit_testing.broker import (
    BROKER_UNREACHABLE,
    broker_server_url,
    proxy_to,
    unique_prefix,
)
from subgraph_kit_testing.databases import migrated_database
from subgraph_kit_testing.http import API_KEY, in_process
from subgraph_kit_testing.statements import StatementCounter, counting
from subgraph_kit_testing.tcp_proxy import TcpProxy


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def service_root(pytestconfig: pytest.Config) -> Path:
    """The folder of the service under test (where its pyproject.toml is)."""
    return Path(pytestconfig.rootpath)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, service_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database for the whole session, dropped at the end."""
    yield from migrated_database(request.param, service_root, tmp_path_factory)


@pytest.fixture(scope="session")
def broker_url() -> str:
    """The URL of the RabbitMQ server the tests may use; skip the test when there is none
    (fail instead with REQUIRE_BROKER=1). Tests keep apart by exchange names (`unique_prefix`)."""
    url = broker_server_url()
    if url is None:
        pytest.skip(BROKER_UNREACHABLE)
    return url


@pytest.fixture
def exchange_prefix() -> str:
    """A BROKER_EXCHANGE_PREFIX of the test's own: its exchanges are no other test's."""
    return unique_prefix()


@pytest.fixture
def broker_proxy(broker_url: str) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the broker, for outages (`broker.through(proxy, broker_url)`)."""
    proxy = proxy_to(broker_url)
    yield proxy
    proxy.close()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of `app` (in process) that sends the test API key."""
    async with in_process(app, **{"X-API-Key": API_KEY}) as http:
        yield http


@pytest.fixture
def statements(app: FastAPI) -> Iterator[StatementCounter]:
    """Count the SQL statements `app` executes during the test."""
    yield from counting(app.state.runtime.engine)
