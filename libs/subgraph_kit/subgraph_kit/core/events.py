"""Domain events: what a change raises, and what the outbox hands back for delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to one aggregate; `payload` is JSON-ready.

    An event's `name` is its class name (`class ProductCreated(DomainEvent)` is "ProductCreated").
    """

    name: ClassVar[str] = "DomainEvent"
    aggregate_id: UUID
    occurred_at: datetime
    payload: dict[str, Any]
    event_id: UUID = field(default_factory=uuid4)

    def __init_subclass__(cls) -> None:
        # No super() call: `slots=True` rebuilds the class, which breaks zero-argument super().
        cls.name = cls.__name__


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event read back from the outbox; `position` is its place in commit order.

    `traceparent` and `tracestate` are the W3C trace context of the change that staged it
    (None when it was made outside a trace, or with tracing off).
    """

    position: int
    event_id: UUID
    name: str
    aggregate_id: str
    occurred_at: datetime
    payload: dict[str, Any]
    traceparent: str | None = None
    tracestate: str | None = None

    def trace_headers(self) -> dict[str, str]:
        """The stored trace context as W3C trace-context headers (empty without one)."""
        headers = {"traceparent": self.traceparent, "tracestate": self.tracestate}
        return {key: value for key, value in headers.items() if value}
