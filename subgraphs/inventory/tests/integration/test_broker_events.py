"""With BROKER_URL set, every committed stock event reaches the inventory.events exchange of a
real RabbitMQ exactly once, with its routing key and id; a refused change sends nothing; a
broker that is cut off keeps the events pending until it is back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from fastapi import FastAPI
from subgraph_kit.messaging.messages import routing_key
from subgraph_kit_testing.broker import ExchangeTap, outbox_events, through
from subgraph_kit_testing.http import API_KEY, in_process
from subgraph_kit_testing.tcp_proxy import TcpProxy

from app.application.event_publisher import EXCHANGE, PUBLISHED_EVENTS, RENAMED
from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import adjust, empty_database, set_stock
from tests.unit.fakes import FakeCatalog

pytestmark = pytest.mark.anyio


@pytest.fixture
def broker_app(
    database_url: str,
    broker_url: str,
    broker_proxy: TcpProxy,
    exchange_prefix: str,
    catalog: FakeCatalog,
) -> Iterator[FastAPI]:
    """The inventory publishing through the proxy to its own inventory.events (the test's
    prefix); the test runs its relay (`app.state.relay`)."""
    settings = Settings(
        database_url=database_url,
        api_key=API_KEY,
        outbox_poll_seconds=3600,
        broker_url=through(broker_proxy, broker_url),
        broker_exchange_prefix=exchange_prefix,
    )
    application = create_app(settings, catalog=catalog)
    empty_database(application.state.runtime.engine)
    yield application
    application.state.relay.close()
    application.state.runtime.engine.dispose()


@pytest.fixture
async def tap(broker_url: str, exchange_prefix: str) -> AsyncIterator[ExchangeTap]:
    async with ExchangeTap(broker_url, exchange_prefix + EXCHANGE) as tapped:
        yield tapped


async def stock_history(app: FastAPI, product: str) -> None:
    """Receive, sell out, set again, and a sale refused for want of stock (rolled back)."""
    async with in_process(app, **{"X-API-Key": API_KEY}) as client:
        assert (await adjust(client, product, 3))["userErrors"] == []
        assert (await adjust(client, product, -3))["userErrors"] == []
        assert (await set_stock(client, product, 8))["userErrors"] == []
        refused = await adjust(client, product, -9)
        assert refused["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"


def relay(app: FastAPI) -> int:
    return app.state.relay.run_once()


def test_every_stock_event_has_a_routing_key_subject_first():
    keys = {event.name: routing_key(event.name, RENAMED) for event in PUBLISHED_EVENTS}
    assert keys == {
        "StockChanged": "stock.changed",
        "StockDepleted": "stock.depleted",
        "StockReplenished": "stock.replenished",
        "LowStock": "stock.low",
        "StockTransferred": "stock.transferred",
        "LocationCreated": "location.created",
        "LocationDeactivated": "location.deactivated",
        "StockShortfall": "stock.shortfall",
        "ReservationCreated": "reservation.created",
        "ReservationCommitted": "reservation.committed",
        "ReservationReleased": "reservation.released",
        "ReservationExpired": "reservation.expired",
    }


def test_the_inventory_publishes_to_inventory_events():
    assert EXCHANGE == "inventory.events"


async def test_every_committed_stock_event_reaches_the_exchange_once_with_its_key(
    broker_app: FastAPI, tap: ExchangeTap, product: str
):
    await stock_history(broker_app, product)
    committed = outbox_events(broker_app.state.runtime.engine)

    assert await anyio.to_thread.run_sync(relay, broker_app) == len(committed)
    assert await anyio.to_thread.run_sync(relay, broker_app) == 0
    await tap.wait_for(len(committed) + 1, within=2)  # one more would be a duplicate

    assert sorted(m.message_id for m in tap.messages) == sorted(committed)
    for message in tap.messages:
        assert json.loads(message.body)["type"] == committed[message.message_id]
        assert message.routing_key == routing_key(committed[message.message_id], RENAMED)
    keys = [m.routing_key for m in tap.messages]
    assert set(keys) == {"stock.changed", "stock.replenished", "stock.depleted", "stock.low"}
    assert keys.count("stock.changed") == 3  # the refused sale sent none


async def test_a_broker_cut_off_keeps_stock_events_pending_until_it_is_back(
    broker_app: FastAPI, tap: ExchangeTap, broker_proxy: TcpProxy, product: str
):
    broker_proxy.cut("refuse")
    await stock_history(broker_app, product)
    committed = outbox_events(broker_app.state.runtime.engine)

    assert await anyio.to_thread.run_sync(relay, broker_app) == 0
    broker_proxy.restore()
    broker_app.state.relay.sink.backoff.succeeded()  # no need to wait out the backoff here
    assert await anyio.to_thread.run_sync(relay, broker_app) == len(committed)
    await tap.wait_for(len(committed) + 1, within=2)

    assert sorted(m.message_id for m in tap.messages) == sorted(committed)
