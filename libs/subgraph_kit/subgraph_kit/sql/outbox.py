"""The outbox port over SQLAlchemy: rows staged in the change's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, false, insert, select, update
from sqlalchemy.orm import Session

from subgraph_kit.core.events import DomainEvent, PendingEvent
from subgraph_kit.core.outbox import Outbox
from subgraph_kit.sql.engine import utc


class SqlAlchemyOutbox(Outbox):
    def __init__(self, session: Session, table: Table) -> None:
        self.session = session
        self.table = table

    def add(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        rows = [
            {
                "event_id": event.event_id,
                "name": event.name,
                "aggregate_id": str(event.aggregate_id),
                "payload": event.payload,
                "occurred_at": _as_utc(event.occurred_at),
            }
            for event in events
        ]
        self.session.execute(insert(self.table), rows)

    def pending(self, *, limit: int) -> list[PendingEvent]:
        columns = self.table.c
        if self.session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks; a write statement (even one that matches nothing) takes
            # the database's write lock, so relays of several processes take turns here too.
            self.session.execute(update(self.table).where(false()).values(sent_at=None))
        statement = (
            select(self.table)
            .where(columns.sent_at.is_(None))
            .order_by(columns.position)
            .limit(limit)
            # A plain lock (not SKIP LOCKED) makes concurrent relays take turns, which keeps
            # delivery in commit order per aggregate.
            .with_for_update()
        )
        return [
            PendingEvent(
                position=row.position,
                event_id=row.event_id,
                name=row.name,
                aggregate_id=row.aggregate_id,
                occurred_at=utc(row.occurred_at),
                payload=row.payload,
            )
            for row in self.session.execute(statement)
        ]

    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        columns = self.table.c
        self.session.execute(
            update(self.table).where(columns.position.in_(positions)).values(sent_at=_as_utc(at))
        )


def _as_utc(value: datetime) -> datetime:
    """The same instant in UTC: SQLite stores a datetime's wall time and drops its offset."""
    return value.astimezone(UTC) if value.tzinfo else value
