"""The transactional outbox port: standard library only, so domains may import it.

Use cases stage `DomainEvent`s in the unit of work's `Outbox`; they are stored in the same
transaction as the change. `subgraph_kit.relay` later delivers them and marks them sent.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to one aggregate; subclasses set `name`, `payload` is JSON-ready."""

    name: ClassVar[str] = "DomainEvent"
    aggregate_id: UUID
    occurred_at: datetime
    payload: dict[str, Any]
    event_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event read back from the outbox; `position` is its place in commit order."""

    position: int
    event_id: UUID
    name: str
    aggregate_id: str
    occurred_at: datetime
    payload: dict[str, Any]


class Outbox(abc.ABC):
    @abc.abstractmethod
    def add(self, events: Sequence[DomainEvent]) -> None:
        """Stage events for delivery; they are stored only if the transaction commits."""

    @abc.abstractmethod
    def pending(self, *, limit: int) -> list[PendingEvent]:
        """Return up to `limit` undelivered events, oldest first, locked for this transaction."""

    @abc.abstractmethod
    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        """Record that these events reached the sink."""
