"""Inventory's consumer of the catalog's events: the durable quorum queue `inventory.catalog`
bound to `catalog.events`, each message applied by `apply_catalog_event` in a worker thread.

RabbitMQ counts the attempts, not us: a handler that fails gives the message back (nack with
requeue), the quorum queue counts each return, and past `x-delivery-limit` it dead-letters
the message to `inventory.catalog.dlq` through `inventory.catalog.dlx`. The messages behind
it are delivered meanwhile (prefetch) and applied: a poisoned one never blocks the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream.middlewares import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from faststream.rabbit.subscriber import RabbitSubscriber
from opentelemetry.trace import TracerProvider
from subgraph_kit.messaging.messages import routing_key
from subgraph_kit.observability.messaging import consuming

from app.application.catalog_events import Applied
from app.domain.catalog_schemas import ApplyCatalogEvent, CatalogEventType
from app.infrastructure.metrics import count_outcome, observe_lag

logger = logging.getLogger("app.events")

CATALOG_EXCHANGE = "catalog.events"
QUEUE = "inventory.catalog"
DEAD_LETTER_EXCHANGE = "inventory.catalog.dlx"
DEAD_LETTER_QUEUE = "inventory.catalog.dlq"
# Every product event; those inventory has nothing to do with are acknowledged as ignored.
BINDING = "product.*"
ATTEMPTS = 5
# Unacknowledged messages per consumer: enough to keep one busy while its acks travel, few
# enough that replicas share a burst, and a slow one holds little back from the others.
PREFETCH = 10
STOP_SECONDS = 5.0

Apply = Callable[[ApplyCatalogEvent], Awaitable[Applied]]


class NotAnEvent(ValueError):
    """A message body that is no catalog event (not JSON, no eventId, …): dead-lettered."""


def catalog_queue(prefix: str = "") -> RabbitQueue:
    """The queue inventory consumes, with its dead-lettering (names after `prefix`)."""
    return RabbitQueue(
        prefix + QUEUE,
        QueueType.QUORUM,
        durable=True,
        routing_key=BINDING,
        arguments={
            # Returns allowed before dead-lettering: the first delivery and 4 more.
            "x-delivery-limit": ATTEMPTS - 1,
            "x-dead-letter-exchange": prefix + DEAD_LETTER_EXCHANGE,
        },
    )


def catalog_exchange(prefix: str = "") -> RabbitExchange:
    """The catalog's exchange, declared as products declares it."""
    return RabbitExchange(prefix + CATALOG_EXCHANGE, type=ExchangeType.TOPIC, durable=True)


def command_of(body: bytes) -> ApplyCatalogEvent | None:
    """Read a message body as the command to apply; None for an event inventory does not
    act on; raise NotAnEvent for a body that is no event."""
    try:
        document = json.loads(body)
        key = routing_key(document["type"])
        if key not in set(CatalogEventType):
            return None
        payload = document.get("payload") or {}
        return ApplyCatalogEvent(
            event_id=document["eventId"],
            type=CatalogEventType(key),
            occurred_at=document["occurredAt"],
            product_id=document["aggregateId"],
            status=payload.get("status") if key != CatalogEventType.PRODUCT_DELETED else None,
            changed=tuple(payload.get("changed") or ()),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise NotAnEvent(f"not a catalog event: {error}") from None


async def _raw_body(message: Any) -> bytes:
    # The body is judged by `command_of`, so that a body that is no JSON is dead-lettered
    # by the handler rather than failed by FastStream's decoder before it.
    return bytes(message.body)


def declare_catalog_subscriber(
    broker: RabbitBroker,
    *,
    apply: Apply,
    prefix: str = "",
    tracer_provider: TracerProvider | None = None,
) -> RabbitSubscriber:
    """Declare on `broker` the subscriber of `inventory.catalog` (bound to `catalog.events`)
    that hands each event to `apply` and acknowledges it once applied; with a tracer
    provider, each message is processed in a CONSUMER span in the trace of its publish."""
    subscriber = broker.subscriber(
        catalog_queue(prefix),
        catalog_exchange(prefix),
        channel=Channel(prefetch_count=PREFETCH),
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_body,
        title=f"{prefix}{QUEUE}:consume",
        description="The catalog's product events: a deletion releases the product's holds "
        "and retires its levels; a status change is recorded for the reservation rules.",
    )

    @subscriber
    async def on_catalog_event(body: bytes, message: RabbitMessage) -> None:
        key = message.raw_message.routing_key or ""
        try:
            command = command_of(body)
        except NotAnEvent as error:
            logger.warning("dead-lettering message %s: %s", message.message_id, error)
            count_outcome(key, "rejected")
            await message.reject(requeue=False)
            return
        if command is None:
            count_outcome(key, Applied.IGNORED.value)
            await message.ack()
            return
        try:
            with consuming(
                message.headers,
                queue=prefix + QUEUE,
                routing_key=key,
                provider=tracer_provider,
                message_id=message.message_id,
            ):
                outcome = await apply(command)
        except Exception:
            attempt = int((message.headers or {}).get("x-delivery-count") or 0) + 1
            logger.exception(
                "event %s failed (attempt %d of %d)", command.event_id, attempt, ATTEMPTS
            )
            count_outcome(key, "failed")
            await message.nack(requeue=True)
            return
        if outcome is not Applied.DUPLICATE:
            observe_lag(key, (datetime.now(UTC) - command.occurred_at).total_seconds())
        count_outcome(key, outcome.value)
        await message.ack()

    return subscriber


class CatalogConsumer:
    """The broker connection of the consumer, started in the service's lifespan: it keeps
    trying to connect in the background (the service serves meanwhile); once connected,
    reconnecting after an outage is left to aio-pika's robust connection (every 5 s)."""

    def __init__(
        self,
        *,
        url: str,
        apply: Apply,
        prefix: str = "",
        retry_seconds: float = 2.0,
        tracer_provider: TracerProvider | None = None,
    ):
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.broker = RabbitBroker(url, logger=logger, log_level=logging.DEBUG)
        self.subscriber = declare_catalog_subscriber(
            self.broker, apply=apply, prefix=prefix, tracer_provider=tracer_provider
        )
        self.started = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start connecting in the background."""
        self._task = asyncio.create_task(self._connect_until_started())

    async def stop(self) -> None:
        """Stop consuming (a message being applied is let finish) and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Bounded: a connection that is reconnecting to a broker gone away must not hold
        # the service's shutdown.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.broker.stop(), STOP_SECONDS)

    async def _connect_until_started(self) -> None:
        while True:
            try:
                await self._declare_dead_letters()
                await self.broker.start()
            except Exception as error:
                logger.warning(
                    "catalog consumer: broker unreachable (%s); next try in %.0f s",
                    error,
                    self.retry_seconds,
                )
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(self.retry_seconds)
                continue
            self.started.set()
            return

    async def _declare_dead_letters(self) -> None:
        # Before the queue that names it: a message dead-lettered to a missing exchange is lost.
        await self.broker.connect()
        exchange = RabbitExchange(
            self.prefix + DEAD_LETTER_EXCHANGE, type=ExchangeType.FANOUT, durable=True
        )
        declared = await self.broker.declare_exchange(exchange)
        queue = RabbitQueue(self.prefix + DEAD_LETTER_QUEUE, QueueType.QUORUM, durable=True)
        dead_letters = await self.broker.declare_queue(queue)
        await dead_letters.bind(declared)
