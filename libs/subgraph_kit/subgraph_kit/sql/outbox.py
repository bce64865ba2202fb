"""The outbox port over SQLAlchemy: rows staged in the change's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, exists, false, insert, select, update
from sqlalchemy.orm import Session

from subgraph_kit.core.events import DomainEvent, PendingEvent
from subgraph_kit.core.outbox import Outbox
from subgraph_kit.observability.trace_context import current_trace_context
from subgraph_kit.sql.engine import utc


class SqlAlchemyOutbox(Outbox):
    def __init__(self, session: Session, table: Table) -> None:
        self.session = session
        self.table = table

    def add(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        trace_context = current_trace_context()
        traceparent, tracestate = trace_context.get("traceparent"), trace_context.get("tracestate")
        rows = [
            {
                "event_id": event.event_id,
                "name": event.name,
                "aggregate_id": str(event.aggregate_id),
                "payload": event.payload,
                "occurred_at": _as_utc(event.occurred_at),
                "traceparent": traceparent,
                "tracestate": tracestate,
            }
            for event in events
        ]
        self.session.execute(insert(self.table), rows)

    def pending(self, *, limit: int) -> list[PendingEvent]:
        table, columns = self.table, self.table.c
        if self.session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks; a write statement (even one that matches nothing) takes
            # the database's write lock, so relays of several processes take turns here too.
            self.session.execute(update(table).where(false()).values(sent_at=None))
        # Claim the oldest pending rows no other relay holds (on Postgres; SQLite ignores the
        # lock clause and its write lock leaves no other claim). SKIP LOCKED alone would let
        # this relay publish an aggregate's later event while another relay still holds (and
        # may fail to send) its earlier one, so a claimed row is handed back only when no
        # earlier pending row of its aggregate lies outside this claim; the rest stay locked,
        # unpublished, until this transaction ends, and pending for the next pass.
        claimed = (
            select(columns.position)
            .where(columns.sent_at.is_(None))
            .order_by(columns.position)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("claimed")
        )
        earlier = table.alias("earlier")
        held_elsewhere = exists().where(
            earlier.c.aggregate_id == columns.aggregate_id,
            earlier.c.sent_at.is_(None),
            earlier.c.position < columns.position,
            earlier.c.position.not_in(select(claimed.c.position)),
        )
        statement = (
            select(table)
            .join(claimed, claimed.c.position == columns.position)
            .where(~held_elsewhere)
            .order_by(columns.position)
        )
        return [
            PendingEvent(
                position=row.position,
                event_id=row.event_id,
                name=row.name,
                aggregate_id=row.aggregate_id,
                occurred_at=utc(row.occurred_at),
                payload=row.payload,
                traceparent=row.traceparent,
                tracestate=row.tracestate,
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
