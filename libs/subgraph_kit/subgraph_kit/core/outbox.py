"""The transactional outbox: the port use cases stage events in, and the relay that delivers them.

Use cases stage `DomainEvent`s in the unit of work's `Outbox`; they are stored in the same
transaction as the change, with the trace context of the change (SQL adapter). The relay
later hands each pending event to a sink, in commit order per aggregate, and marks it sent.
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from subgraph_kit.core.events import DomainEvent, PendingEvent

logger = logging.getLogger("app.events")


class Outbox(abc.ABC):
    @abc.abstractmethod
    def add(self, events: Sequence[DomainEvent]) -> None:
        """Stage events for delivery; they are stored only if the transaction commits."""

    @abc.abstractmethod
    def pending(self, *, limit: int) -> list[PendingEvent]:
        """Return undelivered events, oldest first, claimed for this transaction: at most
        `limit`, none held by another transaction, and none with an earlier undelivered event
        of its aggregate outside this claim (so relays sharing the outbox keep each
        aggregate's order)."""

    @abc.abstractmethod
    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        """Record that these events reached the sink."""


class OutboxUnitOfWork(Protocol):
    """What the relay needs of a unit of work."""

    outbox: Outbox

    def __enter__(self) -> Any: ...
    def __exit__(self, *args: object) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> datetime: ...


class EventSink(Protocol):
    """Where the relay delivers events; a sink with a connection subclasses this and overrides
    `ready` and `close`."""

    def publish(self, event: PendingEvent) -> None:
        """Deliver one event or raise."""

    def ready(self) -> bool:
        """Whether delivery may be tried now; called before the outbox's transaction opens, so
        that a sink connects (or waits out a backoff) without holding the outbox's locks."""
        return True

    def close(self) -> None:
        """Release what the sink holds; called once, at shutdown."""


class LogEventSink(EventSink):
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
    """Deliver what is pending, batch after batch, each batch in a unit of work of its own."""

    def __init__(
        self, *, uow_factory: Callable[[], OutboxUnitOfWork], sink: EventSink, interval: float
    ) -> None:
        self.uow_factory = uow_factory
        self.sink = sink
        self.interval = interval

    def run_once(self) -> int:
        """Deliver what is pending now; return how many events were delivered."""
        total = 0
        while self.sink.ready() and (
            delivered := relay_events(uow=self.uow_factory(), sink=self.sink)
        ):
            total += delivered
        return total

    def close(self) -> None:
        """Release the sink's connections; the relay delivers nothing after this."""
        self.sink.close()
