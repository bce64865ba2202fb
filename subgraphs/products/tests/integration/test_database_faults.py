"""A database outage: bounded, masked failures while it lasts, and recovery without a restart.

Refused or reset connections fail at once, and one never answered at connect after 3 s (both
INTERNAL_SERVER_ERROR); when the network drops every packet, the request deadline answers
(TIMEOUT) and the change it began never commits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
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
def request_timeout() -> float:
    return Settings.model_fields["request_timeout_seconds"].default


@pytest.fixture
def settings(database_url: str, proxy: TcpProxy, request_timeout: float) -> Settings:
    """The conftest's `app` and the plugin's `client`, but through the proxy."""
    url = sa.make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        api_key=API_KEY,
        outbox_poll_seconds=3600,
        request_timeout_seconds=request_timeout,
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


def skus(body: dict[str, object]) -> set[str]:
    return {node["sku"] for node in body["data"]["products"]["nodes"]}  # type: ignore[index]


async def threads_ended(app: FastAPI) -> None:
    """Wait (5 s at most) until the calls left in worker threads have ended."""
    for _ in range(100):
        if not app.state.runtime.in_threads:
            return
        await asyncio.sleep(0.05)
    pytest.fail("calls still in worker threads after 5 s")


# Below the 3 s connect timeout, so that a request needing a new connection meets it too.
@pytest.mark.parametrize("request_timeout", [2.0])
async def test_a_dropping_network_is_answered_timeout_by_the_deadline_and_commits_nothing(
    client, proxy, app
):
    assert (await client.post("/graphql", json=create("BEFORE"))).status_code == 200
    proxy.cut("drop")

    ready, ready_seconds = await timed(client.get("/health/ready"))
    assert ready.status_code == 503
    assert ready_seconds < 2.5
    listing = client.post("/graphql", json={"query": "{ products { nodes { sku } } }"})
    (read, read_seconds), (write, write_seconds) = await asyncio.gather(
        timed(listing), timed(client.post("/graphql", json=create("DURING")))
    )
    for answer, seconds in ((read, read_seconds), (write, write_seconds)):
        assert seconds < 3
        assert answer.status_code == 200
        assert answer.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert not any(secret in answer.text.lower() for secret in SECRETS)

    proxy.restore()  # the write left running reaches its commit now, and is refused
    await threads_ended(app)
    after = await client.post("/graphql", json=create("AFTER"))
    assert after.json()["data"]["createProduct"]["userErrors"] == []
    listed = await client.post("/graphql", json={"query": "{ products { nodes { sku } } }"})
    assert skus(listed.json()) == {"BEFORE", "AFTER"}
    with app.state.runtime.engine.connect() as connection:
        events = connection.execute(sa.text("SELECT count(*) FROM outbox_events")).scalar()
    assert events == 2
