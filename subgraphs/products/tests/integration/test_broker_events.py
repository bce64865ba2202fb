"""With BROKER_URL set, every committed catalog event reaches the catalog.events exchange of a
real RabbitMQ exactly once, with its routing key and id; a rolled-back change sends nothing;
a broker that is cut off keeps the events pending, and they all arrive once it is back, while
requests are answered all along."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from subgraph_kit.messaging.messages import routing_key
from subgraph_kit_testing.broker import ExchangeTap, outbox_events, through
from subgraph_kit_testing.databases import empty_tables
from subgraph_kit_testing.http import API_KEY, graphql, in_process
from subgraph_kit_testing.tcp_proxy import TcpProxy

from app.application.event_publisher import EXCHANGE, PUBLISHED_EVENTS
from app.infrastructure.db.models import Base
from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import CREATE, create_product

pytestmark = pytest.mark.anyio

UPDATE = """mutation ($id: ID!, $name: String!) {
  updateProduct(id: $id, input: {name: $name}) { userErrors { code } }
}"""
SERVICE_ROOT = Path(__file__).parents[2]
DELETE = """mutation ($id: ID!) { deleteProduct(id: $id) { userErrors { code } } }"""


@pytest.fixture
def broker_app(
    database_url: str, broker_url: str, broker_proxy: TcpProxy, exchange_prefix: str
) -> Iterator[FastAPI]:
    """The catalog publishing through the proxy to its own catalog.events (the test's prefix),
    its relay polling every 50 ms once its lifespan runs."""
    settings = Settings(
        database_url=database_url,
        api_key=API_KEY,
        outbox_poll_seconds=0.05,
        broker_url=through(broker_proxy, broker_url),
        broker_exchange_prefix=exchange_prefix,
    )
    application = create_app(settings)
    empty_tables(application.state.runtime.engine, Base.metadata)
    yield application
    application.state.runtime.engine.dispose()


@pytest.fixture
async def tap(broker_url: str, exchange_prefix: str) -> AsyncIterator[ExchangeTap]:
    async with ExchangeTap(broker_url, exchange_prefix + EXCHANGE) as tapped:
        yield tapped


def pending(app: FastAPI) -> int:
    with app.state.runtime.engine.connect() as connection:
        query = "SELECT count(*) FROM outbox_events WHERE sent_at IS NULL"
        return connection.execute(sa.text(query)).scalar_one()


async def mixed_history(client) -> None:
    """Three creates, two updates, a delete, and a refused create (rolled back)."""
    products = [await create_product(client) for _ in range(3)]
    for name in ("One", "Two"):
        assert (await graphql(client, UPDATE, id=products[0]["id"], name=name))["data"]
    assert (await graphql(client, DELETE, id=products[1]["id"]))["data"]
    refused = await graphql(
        client,
        CREATE,
        input={
            "sku": products[2]["sku"],
            "name": "dup",
            "price": {"amount": "1", "currencyCode": "EUR"},
        },
    )
    assert refused["data"]["createProduct"]["userErrors"][0]["code"] == "DUPLICATE_SKU"


def assert_each_committed_event_arrived_once(app: FastAPI, tap: ExchangeTap) -> None:
    committed = outbox_events(app.state.runtime.engine)
    arrived = [message.message_id for message in tap.messages]
    assert len(committed) == 6  # 3 creates, 2 updates, 1 delete; none for the refusal
    assert sorted(arrived) == sorted(committed)  # each once: a duplicate would show twice
    for message in tap.messages:
        body = json.loads(message.body)
        assert body["eventId"] == message.message_id
        assert body["type"] == committed[message.message_id]
        assert message.routing_key == routing_key(body["type"])
    assert {m.routing_key for m in tap.messages} == {
        "product.created",
        "product.updated",
        "product.deleted",
    }
    assert pending(app) == 0


def test_every_catalog_event_has_a_routing_key_in_dotted_lower_case():
    assert [routing_key(event.name) for event in PUBLISHED_EVENTS] == [
        "product.created",
        "product.updated",
        "product.deleted",
    ]


def test_the_catalog_publishes_to_catalog_events():
    assert EXCHANGE == "catalog.events"


async def test_every_committed_event_reaches_the_exchange_once_and_a_refusal_none(
    broker_app: FastAPI, tap: ExchangeTap
):
    async with broker_app.router.lifespan_context(broker_app):
        async with in_process(broker_app, **{"X-API-Key": API_KEY}) as client:
            await mixed_history(client)
        await tap.wait_for(6)
    # The lifespan's end drained and closed the relay: nothing more may arrive.
    await tap.wait_for(7, within=0.5)
    assert_each_committed_event_arrived_once(broker_app, tap)


async def test_a_broker_cut_off_keeps_events_pending_and_delivers_them_all_once_back(
    broker_app: FastAPI, tap: ExchangeTap, broker_proxy: TcpProxy
):
    broker_proxy.cut("refuse")
    lifespan = broker_app.router.lifespan_context(broker_app)
    async with lifespan, in_process(broker_app, **{"X-API-Key": API_KEY}) as client:
        started = time.monotonic()
        await mixed_history(client)
        answered_in = time.monotonic() - started
        await tap.wait_for(1, within=1.0)  # a second of polling against a dead broker
        assert tap.messages == []
        assert pending(broker_app) == 6
        broker_proxy.restore()
        await tap.wait_for(6)
    await tap.wait_for(7, within=0.5)
    assert answered_in < 5, f"7 requests took {answered_in:.1f} s with the broker down"
    assert_each_committed_event_arrived_once(broker_app, tap)


async def test_the_relay_command_publishes_to_the_broker_too(
    broker_app: FastAPI, tap: ExchangeTap, database_url: str, broker_url: str, exchange_prefix: str
):
    async with in_process(broker_app, **{"X-API-Key": API_KEY}) as client:
        await mixed_history(client)  # no lifespan: no relay runs, the events stay pending
    assert pending(broker_app) == 6
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "BROKER_EXCHANGE_PREFIX": exchange_prefix,
    }

    ran = await anyio.run_process(
        [sys.executable, "-m", "app", "relay"], env=environment, cwd=SERVICE_ROOT, check=False
    )

    assert ran.returncode == 0, ran.stderr.decode()
    assert ran.stdout.decode().splitlines()[-1] == "delivered 6 events"
    await tap.wait_for(7, within=2)
    assert_each_committed_event_arrived_once(broker_app, tap)
