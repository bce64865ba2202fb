"""The declarative base of a subgraph's tables, with the outbox table every subgraph has."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names Alembic can rely on, the same on SQLite and Postgres.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
OUTBOX_TABLE = "outbox_events"

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntegerPK = BigInteger().with_variant(Integer(), "sqlite")


def declarative_base() -> type[DeclarativeBase]:
    """Return a new declarative base (its own MetaData) that already maps the outbox table."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    pending = sql_text("sent_at IS NULL")

    class OutboxEventRow(Base):
        """Events waiting for (or done with) delivery."""

        __tablename__ = OUTBOX_TABLE

        position: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
        event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
        name: Mapped[str] = mapped_column(String(64))
        aggregate_id: Mapped[str] = mapped_column(String(64))
        payload: Mapped[dict[str, Any]] = mapped_column(JSON)
        occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
        sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
        # The W3C trace context of the change that staged the event (NULL outside a trace):
        # a version-00 traceparent is 55 characters; a tracestate has no fixed bound.
        traceparent: Mapped[str | None] = mapped_column(String(55))
        tracestate: Mapped[str | None] = mapped_column(Text)

        __table_args__ = (
            Index(
                "ix_outbox_events_pending",
                "position",
                postgresql_where=pending,
                sqlite_where=pending,
            ),
            # What a relay asks of each row it claimed: is an earlier event of the same
            # aggregate still pending outside its claim (sql/outbox.py)?
            Index(
                "ix_outbox_events_pending_aggregate",
                "aggregate_id",
                "position",
                postgresql_where=pending,
                sqlite_where=pending,
            ),
        )

    return Base


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table of a base made by `declarative_base`."""
    return metadata.tables[OUTBOX_TABLE]
