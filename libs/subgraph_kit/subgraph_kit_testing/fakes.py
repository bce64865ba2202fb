"""In-memory fakes with real commit and rollback: a unit of work that works on a copy.

A service's fake subclasses `FakeUnitOfWork`, names its state (`FakeUnitOfWork(levels={})`)
and opens its fake repositories over the working copy in `open_repositories`; it may name a
`check_event` that every staged event must pass (the service's message contract).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from subgraph_kit.core.events import DomainEvent, PendingEvent
from subgraph_kit.core.outbox import Outbox
from subgraph_kit.core.unit_of_work import UnitOfWork


@dataclass
class OutboxRow:
    position: int
    event: DomainEvent
    sent_at: datetime | None = None


class FakeOutbox(Outbox):
    def __init__(
        self, rows: list[OutboxRow], check: Callable[[DomainEvent], None] | None = None
    ) -> None:
        self.rows = rows
        self.check = check

    def add(self, events: Sequence[DomainEvent]) -> None:
        if self.check is not None:
            for event in events:
                self.check(event)
        self.rows.extend(OutboxRow(len(self.rows) + 1, event) for event in events)

    def pending(self, *, limit: int) -> list[PendingEvent]:
        return [
            PendingEvent(
                position=row.position,
                event_id=row.event.event_id,
                name=row.event.name,
                aggregate_id=str(row.event.aggregate_id),
                occurred_at=row.event.occurred_at,
                payload=row.event.payload,
            )
            for row in self.rows
            if row.sent_at is None
        ][:limit]

    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        for row in self.rows:
            if row.position in positions:
                row.sent_at = at


class FakeUnitOfWork(UnitOfWork):
    """Works on a deep copy of `committed`; `commit` makes the copy the committed state."""

    # Raises for an event the service's contract does not allow; None checks nothing.
    check_event: Callable[[DomainEvent], None] | None = None

    def __init__(self, **state: Any) -> None:
        self.committed: dict[str, Any] = {"events": [], **state}
        self.commits = 0
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def __enter__(self) -> Self:
        self.working = copy.deepcopy(self.committed)
        self.outbox = FakeOutbox(self.working["events"], type(self).check_event)
        self.open_repositories(self.working)
        return self

    def open_repositories(self, state: dict[str, Any]) -> None:
        """Open the service's fake repositories over `state`, the working copy."""

    def commit(self) -> None:
        self.committed = self.working
        self.commits += 1

    def rollback(self) -> None:
        pass

    def now(self) -> datetime:
        """A clock that moves one second per call, so times are distinct and predictable."""
        self.clock += timedelta(seconds=1)
        return self.clock

    @property
    def events(self) -> list[DomainEvent]:
        """The committed events, in the order they were raised."""
        return [row.event for row in self.committed["events"]]

    @property
    def event_names(self) -> list[str]:
        return [event.name for event in self.events]
