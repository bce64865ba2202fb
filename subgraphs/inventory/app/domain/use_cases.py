"""Stock rules: which writes are refused, what a change records, and which events it raises."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from subgraph_kit.core.errors import DomainError, InvalidInput
from subgraph_kit.core.events import DomainEvent

from app.domain.errors import InsufficientStock, ProductNotFound, VersionConflict
from app.domain.models import (
    MAX_ON_HAND,
    CatalogProduct,
    StockChange,
    StockLevel,
    StockMovement,
)
from app.domain.schemas import (
    AdjustStock,
    LowStock,
    SetStock,
    StockChanged,
    StockDepleted,
    StockReplenished,
)


def stockable(product: CatalogProduct | None) -> CatalogProduct:
    """Refuse stock writes for a product the catalog does not know."""
    if product is None:
        raise ProductNotFound(
            "The products subgraph has no product with this id.", field=("productId",)
        )
    return product


def refused_adjustment(current: StockLevel, delta: int) -> DomainError:
    """Explain why adding `delta` to `current` is not allowed."""
    if current.on_hand + delta < 0:
        return InsufficientStock(
            f"Only {current.available} available; cannot remove {-delta}.", field=("delta",)
        )
    return InvalidInput(f"On hand would exceed {MAX_ON_HAND}.", field=("delta",))


def check_expected_version(current: StockLevel, expected: int | None) -> None:
    """Refuse a write based on a stale read of the level."""
    if expected is not None and current.version != expected:
        raise VersionConflict(
            f"The level is at version {current.version}, not {expected}.",
            field=("expectedVersion",),
        )


def changes_on_hand(current: StockLevel, command: SetStock) -> bool:
    """Tell whether setting on hand moves it; refuse a stale `expected_version` first."""
    check_expected_version(current, command.expected_version)
    return command.on_hand != current.on_hand


def version_moved(locked: StockLevel) -> VersionConflict:
    """Explain that the level moved on from the version a write locked."""
    return VersionConflict(
        f"The level moved on from version {locked.version} while it was being set.",
    )


def record_movement(
    change: StockChange, command: AdjustStock | SetStock, *, now: datetime
) -> StockChange:
    """Add the audit-trail entry of an on-hand change to it."""
    after = change.after
    movement = StockMovement(
        uuid4(),
        after.product_id,
        change.delta,
        after.on_hand,
        command.reason,
        command.reference,
        now,
    )
    return replace(change, movement=movement)


def stock_events(change: StockChange, *, now: datetime) -> list[DomainEvent]:
    """List the events of a change: StockChanged for every on-hand change; StockDepleted,
    StockReplenished and LowStock when it crosses their thresholds."""
    before, after, movement = change.before, change.after, change.movement
    product_id = after.product_id
    payload = {
        "productId": str(product_id),
        "available": after.available,
        "onHand": after.on_hand,
        "reorderPoint": after.reorder_point,
        "version": after.version,
    }
    events: list[DomainEvent] = []
    if movement is not None:
        moved = {
            "delta": movement.delta,
            "onHandBefore": before.on_hand,
            "reason": movement.reason.value,
            "reference": movement.reference,
            "movementId": str(movement.id),
        }
        events.append(StockChanged(product_id, now, payload | moved))
    if before.available > 0 and after.available == 0:
        events.append(StockDepleted(product_id, now, payload))
    if before.available == 0 and after.available > 0:
        events.append(StockReplenished(product_id, now, payload))
    if not before.low_stock and after.low_stock:
        events.append(LowStock(product_id, now, payload))
    return events
