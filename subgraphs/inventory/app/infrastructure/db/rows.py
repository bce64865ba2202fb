"""Domain objects to and from what the database holds: rows, and the JSON of stored results."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from subgraph_kit.sql.engine import utc

from app.domain.models import (
    DEFAULT_LOCATION_ID,
    Location,
    Reservation,
    ReservationStatus,
    StockChangeReason,
    StockLevel,
    StockMovement,
)

LEVEL_COLUMNS = ("product_id", "on_hand", "reorder_point", "version", "updated_at", "location_id")


@functools.cache
def level_columns(prefix: str) -> tuple[str, ...]:
    """A level's column names with `prefix`, then its `reserved`'s (named once, not per row)."""
    return (*(prefix + name for name in LEVEL_COLUMNS), f"{prefix}reserved")


def to_level(row: Row[Any], prefix: str = "") -> StockLevel:
    """Read a level from `row`'s columns (named `<prefix><column>`)."""
    columns = row._mapping
    product_id, on_hand, reorder_point, version, updated_at, location_id, reserved = level_columns(
        prefix
    )
    return StockLevel(
        product_id=columns[product_id],
        on_hand=columns[on_hand],
        reorder_point=columns[reorder_point],
        version=columns[version],
        updated_at=utc(columns[updated_at]),
        location_id=columns[location_id],
        reserved=columns.get(reserved, 0),
    )


def to_reservation(row: Row[Any]) -> Reservation:
    """Read a hold from `row`."""
    return Reservation(
        id=row.id,
        reference=row.reference,
        product_id=row.product_id,
        location_id=row.location_id,
        quantity=row.quantity,
        status=ReservationStatus(row.status),
        expires_at=utc(row.expires_at),
        created_at=utc(row.created_at),
    )


def to_location(row: Row[Any]) -> Location:
    """Read a location from `row`."""
    return Location(row.id, row.code, row.name, row.active, utc(row.created_at))


def to_movement(row: Row[Any]) -> StockMovement:
    """Read a movement from `row`."""
    return StockMovement(
        id=row.id,
        product_id=row.product_id,
        delta=row.delta,
        on_hand_after=row.on_hand_after,
        reason=StockChangeReason(row.reason),
        reference=row.reference,
        created_at=utc(row.created_at),
        position=row.position,
        location_id=row.location_id,
    )


def levels_snapshot(levels: Sequence[StockLevel]) -> list[dict[str, Any]]:
    """Describe the levels a write answered as JSON, to be stored with an idempotency key."""
    return [level_snapshot(level) for level in levels]


def levels_from_snapshot(snapshot: list[dict[str, Any]] | dict[str, Any]) -> tuple[StockLevel, ...]:
    """Restore the levels `levels_snapshot` described (or the one level results stored before
    transfers existed describe)."""
    described = [snapshot] if isinstance(snapshot, dict) else snapshot
    return tuple(level_from_snapshot(level) for level in described)


def level_snapshot(level: StockLevel) -> dict[str, Any]:
    """Describe a level as JSON."""
    return {
        "productId": str(level.product_id),
        "locationId": str(level.location_id),
        "onHand": level.on_hand,
        "reserved": level.reserved,
        "reorderPoint": level.reorder_point,
        "version": level.version,
        "updatedAt": level.updated_at.isoformat() if level.updated_at else None,
        "tracked": level.tracked,
    }


def level_from_snapshot(snapshot: dict[str, Any]) -> StockLevel:
    """Restore a level `level_snapshot` described."""
    updated_at = snapshot.get("updatedAt")
    return StockLevel(
        product_id=UUID(snapshot["productId"]),
        on_hand=snapshot["onHand"],
        reserved=snapshot.get("reserved", 0),  # results stored before reservations had none
        reorder_point=snapshot["reorderPoint"],
        version=snapshot["version"],
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
        tracked=snapshot.get("tracked", True),  # older results do not say; all were tracked
        # Results stored before locations existed were all at DEFAULT.
        location_id=UUID(snapshot.get("locationId", str(DEFAULT_LOCATION_ID))),
    )
