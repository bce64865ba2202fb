"""Inventory stock writes: adjust, set, reorder point and transfer, checked with the catalog
first. (Reads are in `reads.py`, locations in `locations.py`.)

Every one has the same shape, `use_case(command, *, uow, catalog)`, and is synchronous: the
edge runs it in a worker thread. A write asks the catalog with no transaction open, then
changes stock in one transaction; it returns the level(s) as the change left them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from app.application.catalog_events import retire_products
from app.domain import reservation_rules
from app.domain import use_cases as rules
from app.domain.errors import IdempotencyKeyReused
from app.domain.models import CatalogProduct, StockChange, StockLevel, Transfer
from app.domain.repositories import ProductCatalog, StoredResult, UnitOfWork
from app.domain.schemas import (
    AdjustStock,
    IdempotentCommand,
    SetReorderPoint,
    SetStock,
    TransferStock,
)

# The change one idempotent write makes: `apply(command, product, uow=..., now=...)`.
Apply = Callable[..., StockChange | Transfer]


def adjust_stock(command: AdjustStock, *, uow: UnitOfWork, catalog: ProductCatalog) -> StockLevel:
    """Add `delta` to on hand at a location (never below zero), recording a movement and
    events."""
    (level,) = _idempotent_write(command, _adjust, uow=uow, catalog=catalog)
    return level


def set_stock(command: SetStock, *, uow: UnitOfWork, catalog: ProductCatalog) -> StockLevel:
    """Set on hand at a location to a counted value, optionally only if the level is at
    `expected_version`; setting the value it has changes nothing (a level never stocked has 0)."""
    (level,) = _idempotent_write(command, _set, uow=uow, catalog=catalog)
    return level


def transfer_stock(
    command: TransferStock, *, uow: UnitOfWork, catalog: ProductCatalog
) -> tuple[StockLevel, StockLevel]:
    """Move stock between two locations in one transaction: both movements or neither.
    Return the source's level, then the destination's."""
    source, destination = _idempotent_write(command, _transfer, uow=uow, catalog=catalog)
    return source, destination


def set_reorder_point(
    command: SetReorderPoint, *, uow: UnitOfWork, catalog: ProductCatalog
) -> StockLevel:
    """Change the level at or below which a product counts as low on stock at a location;
    setting the one it has changes nothing (no version bump, no event; a level never stocked
    has 0)."""
    require_product(command.product_id, uow=uow, catalog=catalog)
    with uow:
        now = uow.now()
        rules.usable_location(uow.locations.hold(command.location_id), field="locationId")
        change = uow.stock.set_reorder_point(
            command.product_id, command.location_id, command.reorder_point, now=now
        )
        uow.outbox.add(rules.stock_events(change, now=now))
        uow.commit()
    return change.after


def require_product(
    product_id: UUID, *, uow: UnitOfWork, catalog: ProductCatalog
) -> CatalogProduct:
    """Return what the catalog says of a product; refuse one it does not know, and retire
    what inventory holds of it (it may have been deleted)."""
    product = catalog.get(product_id)
    if product is None:
        retire_products([product_id], uow=uow)
    return rules.stockable(product)


def _idempotent_write(
    command: IdempotentCommand, apply: Apply, *, uow: UnitOfWork, catalog: ProductCatalog
) -> tuple[StockLevel, ...]:
    # A replay is answered from the stored result, without asking products again.
    if command.idempotency_key:
        with uow:
            if (replayed := _stored_result(command, uow)) is not None:
                return replayed
    # Asked between the two transactions: none is open while products answers.
    product = require_product(command.product_id, uow=uow, catalog=catalog)
    with uow:
        key, now = command.idempotency_key, uow.now()
        # Claiming the key first serialises concurrent requests that share it: the loser
        # waits for the winner's commit, then answers with the winner's result.
        if key and not uow.idempotency.claim(key, fingerprint=command.fingerprint(), now=now):
            stored = _stored_result(command, uow)
            assert stored is not None
            return stored
        applied = apply(command, product, uow=uow, now=now)
        if isinstance(applied, Transfer):
            changes = (applied.source, applied.destination)
            uow.movements.add(applied.source.movement)  # type: ignore[arg-type]
            uow.movements.add(applied.destination.movement)  # type: ignore[arg-type]
            uow.outbox.add(rules.transfer_events(applied, command, now=now))  # type: ignore[arg-type]
        else:
            changes = (applied,)
            if applied.movement is not None:
                uow.movements.add(applied.movement)
                # Only a count can take on hand below what is reserved (removals keep it).
                shortfall = reservation_rules.shortfall(applied.after, now=now)
                uow.outbox.add([*rules.stock_events(applied, now=now), *shortfall])
        levels = tuple(change.after for change in changes)
        if key:
            uow.idempotency.complete(key, levels)
        uow.commit()
    return levels


def stored_result(key: str, fingerprint: str, uow: UnitOfWork) -> StoredResult | None:
    """Return what `key` recorded, or None; refuse a key that came with another request."""
    stored = uow.idempotency.get(key)
    if stored is not None and stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different request.", field=("idempotencyKey",)
        )
    return stored


def _stored_result(command: IdempotentCommand, uow: UnitOfWork) -> tuple[StockLevel, ...] | None:
    assert command.idempotency_key is not None
    stored = stored_result(command.idempotency_key, command.fingerprint(), uow)
    return None if stored is None else stored.levels


def _adjust(
    command: AdjustStock, product: CatalogProduct, *, uow: UnitOfWork, now: datetime
) -> StockChange:
    rules.check_takes_stock_in(product, command.delta, field="delta")
    rules.usable_location(uow.locations.hold(command.location_id), field="locationId")
    change = _add(command.product_id, command.location_id, command.delta, "delta", uow, now)
    return rules.record_movement(change, command.reason, command.reference, now=now)


def _set(
    command: SetStock, product: CatalogProduct, *, uow: UnitOfWork, now: datetime
) -> StockChange:
    rules.usable_location(uow.locations.hold(command.location_id), field="locationId")
    locked = uow.stock.lock(command.product_id, command.location_id, now=now)
    if rules.counted_delta(locked.after, command, product) == 0:
        return uow.stock.release(locked)  # it already has that value: it stays as it was
    change = uow.stock.set_on_hand(locked, command.on_hand, now=now)
    if change is None:
        raise rules.version_moved(locked.after)
    return rules.record_movement(change, command.reason, command.reference, now=now)


def _transfer(
    command: TransferStock, product: CatalogProduct, *, uow: UnitOfWork, now: datetime
) -> Transfer:
    rules.check_takes_stock_in(product, command.quantity, field="toLocationId")
    ends = {command.from_location_id: "fromLocationId", command.to_location_id: "toLocationId"}
    moves = {command.from_location_id: -command.quantity, command.to_location_id: command.quantity}
    # Both levels are changed in location-id order, whichever is the source, so two transfers
    # in opposite directions lock them in the same order and never deadlock.
    changes: dict[UUID, StockChange] = {}
    for location_id in sorted(ends):
        rules.usable_location(uow.locations.hold(location_id), field=ends[location_id])
    for location_id in sorted(ends):
        changes[location_id] = _add(
            command.product_id, location_id, moves[location_id], "quantity", uow, now
        )
    source, destination = changes[command.from_location_id], changes[command.to_location_id]
    return rules.transfer_change(source, destination, command, now=now)


def _add(
    product_id: UUID, location_id: UUID, delta: int, field: str, uow: UnitOfWork, now: datetime
) -> StockChange:
    """Add `delta` to a level in one guarded statement, or refuse, naming `field`."""
    change = uow.stock.add_to_on_hand(product_id, location_id, delta, now=now)
    if change is None:
        current = uow.stock.get(product_id, location_id)
        assert current is not None  # add_to_on_hand tracks the level before it refuses
        raise rules.refused_adjustment(current, delta, field=field)
    return change


def purge_idempotency_keys(keep: timedelta, *, uow: UnitOfWork) -> int:
    """Forget idempotency keys older than `keep`."""
    with uow:
        purged = uow.idempotency.purge(older_than=uow.now() - keep)
        uow.commit()
    return purged
