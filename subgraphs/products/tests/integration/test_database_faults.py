"""A database outage: fast, masked failures while it lasts, and recovery without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from subgraph_kit_testing.http import API_KEY
from subgraph_kit_testing.tcp_proxy import TcpProxy

from app.settings import Settings
from tests.integration.helpers import CREATE

pytestmark = pytest.mark.anyio

SECRETS = ("postgres", "127.0.0.1", "psycopg", "sqlalchemy", "5432")


@pytest.fixture
def proxy(database_url: str, is_postgres: bool) -> Iterator[TcpProxy]:
    if not is_postgres:
        pytest.skip("the outage is faked on the Postgres connection")
    url = sa.make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def settings(database_url: str, proxy: TcpProxy) -> Settings:
    """The conftest's `app` and the plugin's `client`, but through the proxy."""
    url = sa.make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        api_key=API_KEY,
        outbox_poll_seconds=3600,
    )


def create(sku: str) -> dict[str, object]:
    return {
        "query": CREATE,
        "variables": {
            "input": {"sku": sku, "name": "Lamp", "price": {"amount": "1", "currencyCode": "EUR"}}
        },
    }


async def timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


@pytest.mark.parametrize("outage", ["refuse", "blackhole"])
async def test_an_outage_fails_fast_and_masked_and_the_service_recovers(client, proxy, outage):
    assert (await client.post("/graphql", json=create("BEFORE"))).status_code == 200
    proxy.cut(outage)

    ready, ready_seconds = await timed(client.get("/health/ready"))
    assert ready.status_code == 503
    assert ready_seconds < 2.5
    answer, answer_seconds = await timed(client.post("/graphql", json=create("DURING")))
    assert answer_seconds < 6
    assert answer.status_code == 200
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert not any(secret in answer.text.lower() for secret in SECRETS)

    proxy.restore()
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    after = await client.post("/graphql", json=create("AFTER"))
    assert after.json()["data"]["createProduct"]["userErrors"] == []
    listed = await client.post("/graphql", json={"query": "{ products { nodes { sku } } }"})
    assert {node["sku"] for node in listed.json()["data"]["products"]["nodes"]} == {
        "BEFORE",
        "AFTER",
    }


async def test_nothing_is_half_written_by_a_change_the_outage_broke(client, proxy, app):
    proxy.cut("refuse")
    await client.post("/graphql", json=create("BROKEN"))
    proxy.restore()
    with app.state.runtime.engine.connect() as connection:
        products = connection.execute(sa.text("SELECT count(*) FROM products")).scalar()
        events = connection.execute(sa.text("SELECT count(*) FROM outbox_events")).scalar()
    assert (products, events) == (0, 0)
