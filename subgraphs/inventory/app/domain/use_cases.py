"""Stock and location rules: which writes are refused, what a change records, and which
events it raises."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from subgraph_kit.core.errors import DomainError, InvalidInput
from subgraph_kit.core.events import DomainEvent

from app.domain.catalog_rules import product_gone
from app.domain.errors import (
    InsufficientStock,
    LocationInactive,
    LocationNotEmpty,
    LocationNotFound,
    ProductNotActive,
    VersionConflict,
)
from app.domain.models import (
    MAX_ON_HAND,
    CatalogProduct,
    Location,
    ProductStatus,
    StockChange,
    StockChangeReason,
    StockLevel,
    StockMovement,
    Transfer,
)
from app.domain.schemas import (
    LocationCreated,
    LocationDeactivated,
    LowStock,
    SetStock,
    StockChanged,
    StockDepleted,
    StockReplenished,
    StockTransferred,
    TransferStock,
    against_its_reason,
)


def stockable(product: CatalogProduct | None) -> CatalogProduct:
    """Refuse stock writes for a product the catalog does not know."""
    if product is None:
        raise product_gone()
    return product


def check_takes_stock_in(product: CatalogProduct, delta: int, *, field: str) -> None:
    """Refuse to add stock of an ARCHIVED product; it can still be emptied and counted down."""
    if delta > 0 and product.status is ProductStatus.ARCHIVED:
        raise ProductNotActive(
            "The product is ARCHIVED: it takes no stock in, it can only be emptied.",
            field=(field,),
        )


def location_not_found(*, field: str) -> LocationNotFound:
    """Explain that an id names no location."""
    return LocationNotFound("No location has this id.", field=(field,))


def usable_location(location: Location | None, *, field: str) -> Location:
    """Refuse a stock write at a location that does not exist or was deactivated."""
    if location is None:
        raise location_not_found(field=field)
    if not location.active:
        raise LocationInactive(f"Location {location.code} is inactive.", field=(field,))
    return location


def refused_adjustment(current: StockLevel, delta: int, *, field: str = "delta") -> DomainError:
    """Explain why adding `delta` to `current` is not allowed (a removal takes at most what
    is available: on hand less what is reserved)."""
    if delta < 0:
        return InsufficientStock(
            f"Only {current.available} available; cannot remove {-delta}.", field=(field,)
        )
    return InvalidInput(f"On hand would exceed {MAX_ON_HAND}.", field=(field,))


def check_expected_version(current: StockLevel, expected: int | None) -> None:
    """Refuse a write based on a stale read of the level."""
    if expected is not None and current.version != expected:
        raise VersionConflict(
            f"The level is at version {current.version}, not {expected}.",
            field=("expectedVersion",),
        )


def counted_delta(current: StockLevel, command: SetStock, product: CatalogProduct) -> int:
    """Return how much a count moves on hand; refuse a stale `expected_version` first, then a
    count against its reason's direction, then one that takes an ARCHIVED product's stock up."""
    check_expected_version(current, command.expected_version)
    delta = command.on_hand - current.on_hand
    if (why := against_its_reason(delta, command.reason)) is not None:
        raise InvalidInput(f"{why}.", field=("reason",))
    check_takes_stock_in(product, delta, field="onHand")
    return delta


def version_moved(locked: StockLevel) -> VersionConflict:
    """Explain that the level moved on from the version a write locked."""
    return VersionConflict(
        f"The level moved on from version {locked.version} while it was being set.",
    )


def record_movement(
    change: StockChange,
    reason: StockChangeReason,
    reference: str | None,
    *,
    now: datetime,
) -> StockChange:
    """Add the audit-trail entry of an on-hand change to it."""
    after = change.after
    movement = StockMovement(
        uuid4(),
        after.product_id,
        change.delta,
        after.on_hand,
        reason,
        reference,
        now,
        location_id=after.location_id,
    )
    return replace(change, movement=movement)


def level_payload(level: StockLevel) -> dict[str, object]:
    """Describe a level in an event."""
    return {
        "productId": str(level.product_id),
        "locationId": str(level.location_id),
        "available": level.available,
        "onHand": level.on_hand,
        "reserved": level.reserved,
        "reorderPoint": level.reorder_point,
        "version": level.version,
    }


def stock_events(change: StockChange, *, now: datetime, changed: bool = True) -> list[DomainEvent]:
    """List the events of a change: StockChanged for every on-hand change (unless `changed`
    is False: a transfer says StockTransferred instead); StockDepleted, StockReplenished and
    LowStock when it crosses their thresholds at its location."""
    before, after, movement = change.before, change.after, change.movement
    product_id = after.product_id
    payload = level_payload(after)
    events: list[DomainEvent] = []
    if movement is not None and changed:
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


def transfer_change(
    source: StockChange, destination: StockChange, command: TransferStock, *, now: datetime
) -> Transfer:
    """Record the two movements of a transfer: TRANSFER_OUT at the source, TRANSFER_IN at the
    destination, with the transfer's reference."""
    return Transfer(
        record_movement(source, StockChangeReason.TRANSFER_OUT, command.reference, now=now),
        record_movement(destination, StockChangeReason.TRANSFER_IN, command.reference, now=now),
    )


def transfer_events(
    transfer: Transfer, command: TransferStock, *, now: datetime
) -> list[DomainEvent]:
    """List the events of a transfer: one StockTransferred, then the thresholds each level
    crossed."""
    moved = StockTransferred(
        command.product_id,
        now,
        {
            "productId": str(command.product_id),
            "fromLocationId": str(command.from_location_id),
            "toLocationId": str(command.to_location_id),
            "quantity": command.quantity,
            "reference": command.reference,
            "from": level_payload(transfer.source.after),
            "to": level_payload(transfer.destination.after),
        },
    )
    return [
        moved,
        *stock_events(transfer.source, now=now, changed=False),
        *stock_events(transfer.destination, now=now, changed=False),
    ]


def location_payload(location: Location) -> dict[str, object]:
    """Describe a location in an event."""
    return {
        "locationId": str(location.id),
        "code": location.code,
        "name": location.name,
        "active": location.active,
    }


def location_created(location: Location, *, now: datetime) -> LocationCreated:
    """The event of a new location."""
    return LocationCreated(location.id, now, location_payload(location))


def location_deactivated(location: Location, *, now: datetime) -> LocationDeactivated:
    """The event of a closed location."""
    return LocationDeactivated(location.id, now, location_payload(location))


def check_empty(location: Location, *, holds_stock: bool) -> None:
    """Refuse to close a location that still holds stock."""
    if holds_stock:
        raise LocationNotEmpty(
            f"Location {location.code} still holds stock; move or count it out first.",
            field=("id",),
        )
