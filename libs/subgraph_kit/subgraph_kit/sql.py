"""SQLAlchemy plumbing: engines, the session-backed unit of work, and the outbox table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    create_engine,
    event,
    false,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, sessionmaker

from subgraph_kit.outbox import DomainEvent, Outbox, PendingEvent
from subgraph_kit.settings import ServiceSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntegerPK = BigInteger().with_variant(Integer(), "sqlite")


def utc(value: datetime) -> datetime:
    """Attach UTC to the naive datetimes SQLite hands back."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create_db_engine(settings: ServiceSettings) -> Engine:
    """Create the engine: pooled Postgres with a statement timeout, or SQLite in WAL mode."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={
            "connect_timeout": 3,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        },
    )


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a factory of Sessions bound to `engine` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


class OutboxEventColumns:
    """Mixin for a service's declarative base: `class OutboxEventRow(OutboxEventColumns, Base)`."""

    __tablename__ = "outbox_events"

    position: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        pending = text("sent_at IS NULL")
        return (
            Index(
                "ix_outbox_events_pending",
                "position",
                postgresql_where=pending,
                sqlite_where=pending,
            ),
        )


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
                "occurred_at": event.occurred_at,
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
            update(self.table).where(columns.position.in_(positions)).values(sent_at=at)
        )


class SessionUnitOfWork:
    """A unit of work over one Session, opened on `with` and closed when the block ends.

    Subclasses name the outbox table and open their repositories in `open_repositories`.
    Leaving the block without `commit()` rolls back.
    """

    outbox_table: Table

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Any:
        self.session = self.session_factory()
        self.outbox = SqlAlchemyOutbox(self.session, self.outbox_table)
        self.open_repositories(self.session)
        return self

    def __exit__(self, *args: object) -> None:
        self.session.rollback()
        self.session.close()

    def open_repositories(self, session: Session) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def now(self) -> datetime:
        return datetime.now(UTC)
