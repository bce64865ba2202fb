"""The catalog's side of the consumer tests: product events published to `catalog.events` as
products' relay publishes them (the kit's RabbitEventSink), raw messages, and a reader of
the dead-letter queue; every queue and exchange of the test's prefix deleted after it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import anyio
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.messaging.rabbit import RabbitEventSink

from app.infrastructure.messaging.consumer import (
    CATALOG_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    QUEUE,
)


def product_event(name: str, product: str, **payload: Any) -> PendingEvent:
    """A catalog event as products' outbox hands it to its relay."""
    return PendingEvent(
        position=1,
        event_id=uuid.uuid4(),
        name=name,
        aggregate_id=product,
        occurred_at=datetime.now(UTC),
        payload={"id": product, **payload},
    )


def deleted(product: str) -> PendingEvent:
    return product_event("ProductDeleted", product, sku="SKU-1")


async def publish(url: str, prefix: str, *events: PendingEvent) -> None:
    """Publish `events` to the test's catalog.events, confirmed, as products' relay does."""
    sink = RabbitEventSink(url=url, exchange=prefix + CATALOG_EXCHANGE)

    def send() -> None:
        try:
            for event in events:
                sink.publish(event)
        finally:
            sink.close()

    await anyio.to_thread.run_sync(send)


async def publish_raw(url: str, prefix: str, body: bytes, routing_key: str) -> None:
    """Publish any body to the test's catalog.events (what no relay would send)."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(prefix + CATALOG_EXCHANGE)
        message = aio_pika.Message(body, content_type="application/json", message_id="raw")
        await exchange.publish(message, routing_key=routing_key)


async def dead_letters(url: str, prefix: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """The messages in the test's dead-letter queue now (taken off it)."""
    connection = await aio_pika.connect(url, timeout=5)
    found = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(prefix + DEAD_LETTER_QUEUE)
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            await message.ack()
            found.append(message)
    return found


async def delete_queues(url: str, prefix: str) -> AsyncIterator[None]:
    """After the test: delete the test's queues and exchanges (they are durable)."""
    yield
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for queue in (QUEUE, DEAD_LETTER_QUEUE):
            await channel.queue_delete(prefix + queue)
        for exchange in (CATALOG_EXCHANGE, DEAD_LETTER_EXCHANGE, "inventory.events"):
            await channel.exchange_delete(prefix + exchange)
