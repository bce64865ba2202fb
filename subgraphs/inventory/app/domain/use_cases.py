"""Stock rules: which refusal a failed change gets, and which events a change raises."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from app.domain.errors import DomainError, InsufficientStock, InvalidInput, VersionConflict
from app.domain.models import MAX_ON_HAND, StockChangeReason, StockLevel, StockMovement
from app.domain.schemas import (
    DomainEvent,
    LowStock,
    StockChanged,
    StockDepleted,
    StockReplenished,
)


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


def level_before(after: StockLevel, delta: int, was_tracked: bool) -> StockLevel:
    """Reconstruct the level as it was before `delta` was applied."""
    return replace(
        after, on_hand=after.on_hand - delta, version=after.version - 1, tracked=was_tracked
    )


def record_movement(
    after: StockLevel,
    delta: int,
    reason: StockChangeReason,
    reference: str | None,
    now: datetime,
) -> StockMovement:
    """The audit-trail entry of one on-hand change."""
    return StockMovement(uuid4(), after.product_id, delta, after.on_hand, reason, reference, now)


def stock_events(
    before: StockLevel, after: StockLevel, movement: StockMovement | None, now: datetime
) -> list[DomainEvent]:
    """StockChanged for every on-hand change; Depleted, Replenished, LowStock on crossings."""
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
        change = {
            "delta": movement.delta,
            "onHandBefore": before.on_hand,
            "reason": movement.reason.value,
            "reference": movement.reference,
            "movementId": str(movement.id),
        }
        events.append(StockChanged(product_id, now, payload | change))
    if before.available > 0 and after.available == 0:
        events.append(StockDepleted(product_id, now, payload))
    if before.available == 0 and after.available > 0:
        events.append(StockReplenished(product_id, now, payload))
    if not before.low_stock and after.low_stock:
        events.append(LowStock(product_id, now, payload))
    return events
