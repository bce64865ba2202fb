"""Inventory consuming `catalog.events` from its queue on a real RabbitMQ: a product deleted
in the catalog has its holds released and its levels retired within 2 s; a message delivered
twice is applied once; a message that keeps failing goes to the dead-letter queue after
exactly 5 attempts, and the ones behind it are applied meanwhile; a body that is no event is
dead-lettered at once; two replicas share the queue and apply each message once. The
consumer's series move by what that traffic is."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from subgraph_kit_testing.broker import through
from subgraph_kit_testing.http import API_KEY, in_process
from subgraph_kit_testing.metrics import Samples, moved, samples_of

from app.application.catalog_events import Applied, apply_catalog_event
from app.domain.catalog_schemas import ApplyCatalogEvent
from app.infrastructure.messaging.consumer import ATTEMPTS, CatalogConsumer
from app.main import create_app
from app.settings import Settings
from tests.integration import catalog_messages
from tests.integration.catalog_messages import deleted, product_event, publish
from tests.integration.helpers import adjust, empty_database
from tests.integration.reservation_helpers import holds_of, levels_of, reserve
from tests.unit.fakes import FakeCatalog

pytestmark = pytest.mark.anyio


@pytest.fixture
def consumer_app(
    database_url: str, broker_url: str, exchange_prefix: str, catalog: FakeCatalog
) -> Iterator[FastAPI]:
    """The inventory with BROKER_URL set, on the test's own exchanges and queues."""
    settings = Settings(
        database_url=database_url,
        api_key=API_KEY,
        outbox_poll_seconds=3600,
        reservation_sweep_seconds=0.1,
        broker_url=broker_url,
        broker_exchange_prefix=exchange_prefix,
    )
    application = create_app(settings, catalog=catalog)
    empty_database(application.state.runtime.engine)
    yield application
    application.state.runtime.engine.dispose()


@pytest.fixture
async def queues(broker_url: str, exchange_prefix: str) -> AsyncIterator[None]:
    async for _ in catalog_messages.delete_queues(broker_url, exchange_prefix):
        yield


@pytest.fixture
async def client(consumer_app: FastAPI, queues: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the inventory while it runs (lifespan), its consumer connected."""
    async with consumer_app.router.lifespan_context(consumer_app):
        await asyncio.wait_for(consumer_app.state.consumer.started.wait(), 10)
        async with in_process(consumer_app, **{"X-API-Key": API_KEY}) as http:
            yield http


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float) -> float:
    """Wait until `check()` holds; return how long it took (fail past `within` seconds)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within, f"not within {within} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def stocked_and_held(client: httpx.AsyncClient, product: str) -> None:
    assert (await adjust(client, product, 10))["userErrors"] == []
    assert (await reserve(client, "cart-1", {"productId": product, "quantity": 3}))[
        "userErrors"
    ] == []


async def released(client: httpx.AsyncClient) -> bool:
    return [hold["status"] for hold in await holds_of(client, "cart-1")] == ["RELEASED"]


def outbox_names(app: FastAPI) -> list[str]:
    with app.state.runtime.engine.connect() as connection:
        query = sa.text("SELECT name FROM outbox_events ORDER BY position")
        return [name for (name,) in connection.execute(query)]


async def scrape(client: httpx.AsyncClient) -> Samples:
    return samples_of((await client.get("/metrics")).text)


async def test_a_deleted_product_loses_its_holds_and_levels_within_two_seconds(
    client, consumer_app, broker_url, exchange_prefix, catalog, product
):
    await stocked_and_held(client, product)
    before = await scrape(client)
    del catalog.products[uuid.UUID(product)]
    await publish(broker_url, exchange_prefix, deleted(product))

    took = await eventually(lambda: released(client), within=2)
    assert await levels_of(client, product) == {}
    assert outbox_names(consumer_app)[-1] == "ReservationReleased"
    after = await scrape(client)
    applied = (("outcome", "applied"), ("routing_key", "product.deleted"))
    assert moved(before, after, "catalog_events_total") == {applied: 1}
    lag = (("routing_key", "product.deleted"),)
    assert moved(before, after, "catalog_event_lag_seconds_count") == {lag: 1}
    assert 0 < moved(before, after, "catalog_event_lag_seconds_sum")[lag] < took + 1


async def test_the_same_message_delivered_twice_is_applied_once(
    client, consumer_app, broker_url, exchange_prefix, product
):
    await stocked_and_held(client, product)
    before = await scrape(client)
    event = deleted(product)
    await publish(broker_url, exchange_prefix, event, event)

    key = ("routing_key", "product.deleted")
    twice = {(("outcome", "applied"), key): 1, (("outcome", "duplicate"), key): 1}

    async def both_handled() -> bool:
        return moved(before, await scrape(client), "catalog_events_total") == twice

    await eventually(both_handled, within=5)
    assert outbox_names(consumer_app).count("ReservationReleased") == 1
    assert await released(client)


async def test_a_message_that_keeps_failing_is_dead_lettered_after_five_attempts(
    consumer_app, broker_url, exchange_prefix, product, catalog, queues
):
    poisoned, good = deleted(str(uuid.uuid4())), deleted(product)
    attempts: Counter[uuid.UUID] = Counter()

    async def apply(command: ApplyCatalogEvent) -> Applied:
        attempts[command.event_id] += 1
        if command.event_id == poisoned.event_id:
            raise RuntimeError("poisoned")
        return await consumer_app.state.runtime.run(apply_catalog_event, command)

    # A consumer of the same queue whose handler fails on one message, as a bug would.
    consumer = CatalogConsumer(url=broker_url, prefix=exchange_prefix, apply=apply)
    async with in_process(consumer_app, **{"X-API-Key": API_KEY}) as client:
        await stocked_and_held(client, product)
        await consumer.start()
        try:
            await asyncio.wait_for(consumer.started.wait(), 10)
            await publish(broker_url, exchange_prefix, poisoned, good)
            await eventually(lambda: released(client), within=5)

            async def dead_lettered() -> list:
                return await catalog_messages.dead_letters(broker_url, exchange_prefix)

            found: list = []
            await eventually(lambda: _extend(found, dead_lettered()), within=10)
        finally:
            await consumer.stop()
    assert [message.message_id for message in found] == [str(poisoned.event_id)]
    assert json.loads(found[0].body)["eventId"] == str(poisoned.event_id)
    assert attempts[poisoned.event_id] == ATTEMPTS == 5
    assert attempts[good.event_id] == 1


async def _extend(found: list, more: Awaitable[list]) -> bool:
    found.extend(await more)
    return bool(found)


async def test_a_body_that_is_no_event_is_dead_lettered_at_once(
    client, broker_url, exchange_prefix, product
):
    before = await scrape(client)
    await catalog_messages.publish_raw(broker_url, exchange_prefix, b"{not json", "product.deleted")
    found: list = []
    await eventually(
        lambda: _extend(found, catalog_messages.dead_letters(broker_url, exchange_prefix)),
        within=5,
    )
    assert [message.body for message in found] == [b"{not json"]
    rejected = (("outcome", "rejected"), ("routing_key", "product.deleted"))
    assert moved(before, await scrape(client), "catalog_events_total") == {rejected: 1}


async def test_a_status_change_is_kept_and_a_product_created_is_ignored(
    client, consumer_app, broker_url, exchange_prefix, product
):
    before = await scrape(client)
    archived = product_event("ProductUpdated", product, status="ARCHIVED", changed=["status"])
    await publish(broker_url, exchange_prefix, product_event("ProductCreated", product), archived)

    expected = {
        (("outcome", "ignored"), ("routing_key", "product.created")): 1,
        (("outcome", "applied"), ("routing_key", "product.updated")): 1,
    }

    async def both_handled() -> bool:
        return moved(before, await scrape(client), "catalog_events_total") == expected

    await eventually(both_handled, within=5)
    with consumer_app.state.runtime.engine.connect() as connection:
        query = sa.text("SELECT status, deleted FROM catalog_products")
        assert [tuple(row) for row in connection.execute(query)] == [("ARCHIVED", False)]


async def test_the_active_reservations_gauge_counts_the_unexpired_active_holds(client, product):
    await stocked_and_held(client, product)
    await reserve(client, "cart-2", {"productId": product, "quantity": 1}, expiresInSeconds=1)

    async def active(count: int) -> bool:
        return (await scrape(client))["reservations_active", frozenset()] == count

    await eventually(lambda: active(2), within=2)
    await eventually(lambda: active(1), within=3)  # cart-2 expired


async def test_two_replicas_share_the_queue_and_apply_each_message_once(
    client, consumer_app, broker_url, exchange_prefix, catalog
):
    products = [str(catalog.add(uuid.uuid4())) for _ in range(8)]
    for index, product in enumerate(products):
        assert (await adjust(client, product, 2))["userErrors"] == []
        line = {"productId": product, "quantity": 1}
        assert (await reserve(client, f"cart-{index}", line))["userErrors"] == []
    handled: Counter[str] = Counter()

    async def apply(command: ApplyCatalogEvent) -> Applied:
        outcome = await consumer_app.state.runtime.run(apply_catalog_event, command)
        handled[outcome.value] += 1
        return outcome

    replica = CatalogConsumer(url=broker_url, prefix=exchange_prefix, apply=apply)
    await replica.start()
    try:
        await asyncio.wait_for(replica.started.wait(), 10)
        events = [deleted(product) for product in products]
        # Each message twice, so that both replicas may be applying the same one at once.
        await publish(broker_url, exchange_prefix, *events, *events)

        async def all_released() -> bool:
            return outbox_names(consumer_app).count("ReservationReleased") >= len(products)

        await eventually(all_released, within=5)
        await asyncio.sleep(0.3)  # the second deliveries, which change nothing
    finally:
        await replica.stop()
    assert outbox_names(consumer_app).count("ReservationReleased") == len(products)
    assert 0 < sum(handled.values()) < 2 * len(products)  # the replica took a share, not all


async def test_a_consumer_started_while_the_broker_is_down_connects_once_it_is_back(
    consumer_app, broker_url, broker_proxy, exchange_prefix, product, queues
):
    broker_proxy.cut("refuse")
    consumer = CatalogConsumer(
        url=through(broker_proxy, broker_url),
        prefix=exchange_prefix,
        apply=lambda command: consumer_app.state.runtime.run(apply_catalog_event, command),
        retry_seconds=0.2,
    )
    async with in_process(consumer_app, **{"X-API-Key": API_KEY}) as client:
        await stocked_and_held(client, product)
        await consumer.start()
        try:
            await asyncio.sleep(0.5)
            assert not consumer.started.is_set()
            broker_proxy.restore()
            await asyncio.wait_for(consumer.started.wait(), 10)
            await publish(broker_url, exchange_prefix, deleted(product))
            await eventually(lambda: released(client), within=2)
        finally:
            await consumer.stop()
