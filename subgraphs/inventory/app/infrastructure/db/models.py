"""SQLAlchemy tables of the inventory; Alembic migrations are generated from this metadata."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from subgraph_kit.sql.tables import BigIntegerPK, declarative_base

from app.domain.models import ReservationStatus, StockChangeReason

REASONS = ", ".join(f"'{reason.value}'" for reason in StockChangeReason)
STATUSES = ", ".join(f"'{status.value}'" for status in ReservationStatus)


# Maps the outbox table too (the same in every subgraph).
Base = declarative_base()


class LocationRow(Base):
    __tablename__ = "locations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Unique: concurrent creations of one code are decided by the database.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockLevelRow(Base):
    __tablename__ = "stock_levels"

    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when the catalog deleted the product: reads and lists leave the level out.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
        # Keyset scans of the two list filters read only matching rows.
        Index(
            "ix_stock_levels_low_stock",
            "product_id",
            "location_id",
            postgresql_where=text("on_hand <= reorder_point"),
            sqlite_where=text("on_hand <= reorder_point"),
        ),
        Index(
            "ix_stock_levels_out_of_stock",
            "product_id",
            "location_id",
            postgresql_where=text("on_hand = 0"),
            sqlite_where=text("on_hand = 0"),
        ),
        # What deactivating a location asks: does anything here hold stock?
        Index(
            "ix_stock_levels_stocked_location",
            "location_id",
            postgresql_where=text("on_hand > 0"),
            sqlite_where=text("on_hand > 0"),
        ),
    )


class StockMovementRow(Base):
    __tablename__ = "stock_movements"

    position: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    delta: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_not_zero"),
        CheckConstraint(f"reason IN ({REASONS})", name="reason_known"),
        ForeignKeyConstraint(
            ["product_id", "location_id"],
            ["stock_levels.product_id", "stock_levels.location_id"],
        ),
        Index(
            "ix_stock_movements_product_id_location_id_position",
            "product_id",
            "location_id",
            "position",
        ),
    )


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ReservationRow(Base):
    __tablename__ = "reservations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    reference: Mapped[str] = mapped_column(String(255))
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(f"status IN ({STATUSES})", name="status_known"),
        ForeignKeyConstraint(
            ["product_id", "location_id"],
            ["stock_levels.product_id", "stock_levels.location_id"],
        ),
        # What every level read sums (`reserved`), and what the sweeper scans: ACTIVE holds.
        Index(
            "ix_reservations_active_level",
            "product_id",
            "location_id",
            "expires_at",
            postgresql_where=text("status = 'ACTIVE'"),
            sqlite_where=text("status = 'ACTIVE'"),
        ),
        Index(
            "ix_reservations_active_expiry",
            "expires_at",
            postgresql_where=text("status = 'ACTIVE'"),
            sqlite_where=text("status = 'ACTIVE'"),
        ),
        Index("ix_reservations_reference", "reference"),
    )


class InboxMessageRow(Base):
    """A message of the catalog applied: its eventId, claimed in its effect's transaction."""

    __tablename__ = "inbox_messages"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CatalogEntryRow(Base):
    """What inventory heard of a product from the catalog (status, deletion), and as of when."""

    __tablename__ = "catalog_products"

    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str | None] = mapped_column(String(16))
    deleted: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
