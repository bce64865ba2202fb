"""Delivery of outbox events: the sink port, the default log sink and the relay."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import anyio

from subgraph_kit.outbox import Outbox, PendingEvent

logger = logging.getLogger("app.events")


class OutboxUnitOfWork(Protocol):
    outbox: Outbox

    def __enter__(self) -> Any: ...
    def __exit__(self, *args: object) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> datetime: ...


class EventSink(Protocol):
    def publish(self, event: PendingEvent) -> None:
        """Deliver one event or raise."""


class LogEventSink:
    """Write each event as one structured JSON log line on the `app.events` logger."""

    def publish(self, event: PendingEvent) -> None:
        logger.info(
            json.dumps(
                {
                    "event": event.name,
                    "eventId": str(event.event_id),
                    "aggregateId": event.aggregate_id,
                    "occurredAt": event.occurred_at.isoformat(),
                    "payload": event.payload,
                },
                separators=(",", ":"),
            )
        )


def relay_events(*, uow: OutboxUnitOfWork, sink: EventSink, batch_size: int = 100) -> int:
    """Deliver pending events in commit order; stop at the first failure, keep the rest pending."""
    delivered: list[int] = []
    with uow:
        for event in uow.outbox.pending(limit=batch_size):
            try:
                sink.publish(event)
            except Exception:
                logger.exception("event sink failed; %s stays pending", event.event_id)
                break
            delivered.append(event.position)
        if delivered:
            uow.outbox.mark_sent(delivered, at=uow.now())
            uow.commit()
    return len(delivered)


class OutboxRelay:
    """Deliver pending events in a worker thread every `interval` seconds until cancelled."""

    def __init__(
        self, *, uow_factory: Callable[[], OutboxUnitOfWork], sink: EventSink, interval: float
    ) -> None:
        self.uow_factory = uow_factory
        self.sink = sink
        self.interval = interval

    def run_once(self) -> int:
        """Deliver what is pending now, batch after batch; return how many were delivered."""
        total = 0
        while delivered := relay_events(uow=self.uow_factory(), sink=self.sink):
            total += delivered
        return total

    async def drain(self) -> None:
        """Deliver what is pending now; called at shutdown, after the polling task stopped."""
        try:
            delivered = await anyio.to_thread.run_sync(self.run_once)
        except Exception:
            logger.exception("outbox relay could not drain at shutdown")
            return
        logger.info("outbox relay drained %d event(s) at shutdown", delivered)

    async def run_forever(self) -> None:
        """Poll the outbox until the task is cancelled."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.run_once)
            except Exception:
                logger.exception("outbox relay pass failed")
            await asyncio.sleep(self.interval)
