"""Inventory use cases: stock writes, checked with the catalog first, and the reads of stock.

Every one has the same shape, `use_case(request, *, uow[, catalog])`, and is synchronous: the
edge runs it in a worker thread. A write asks the catalog with no transaction open, then
changes stock in one transaction; it returns the level as the change left it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from subgraph_kit.core.pages import in_order_asked, page_of

from app.domain import use_cases as rules
from app.domain.errors import IdempotencyKeyReused
from app.domain.models import (
    CatalogProduct,
    MovementPage,
    StockChange,
    StockLevel,
    StockLevelFilter,
    StockLevelPage,
    StockMovement,
)
from app.domain.repositories import ProductCatalog, UnitOfWork
from app.domain.schemas import AdjustStock, IdempotentCommand, SetReorderPoint, SetStock

# The change one idempotent write makes: `apply(command, uow=..., now=...)`.
Apply = Callable[..., StockChange]


def adjust_stock(command: AdjustStock, *, uow: UnitOfWork, catalog: ProductCatalog) -> StockLevel:
    """Add `delta` to on hand (never below zero), recording a movement and events."""
    return _idempotent_write(command, _adjust, uow=uow, catalog=catalog)


def set_stock(command: SetStock, *, uow: UnitOfWork, catalog: ProductCatalog) -> StockLevel:
    """Set on hand to a counted value, optionally only if the level is at `expected_version`;
    setting the value it has changes nothing (a product never stocked has 0)."""
    return _idempotent_write(command, _set, uow=uow, catalog=catalog)


def set_reorder_point(
    command: SetReorderPoint, *, uow: UnitOfWork, catalog: ProductCatalog
) -> StockLevel:
    """Change the level at or below which a product counts as low on stock; setting the one
    it has changes nothing (no version bump, no event; a product never stocked has 0)."""
    require_product(command.product_id, catalog=catalog)
    with uow:
        now = uow.now()
        change = uow.stock.set_reorder_point(command.product_id, command.reorder_point, now=now)
        uow.outbox.add(rules.stock_events(change, now=now))
        uow.commit()
    return change.after


def require_product(product_id: UUID, *, catalog: ProductCatalog) -> CatalogProduct:
    """Return what the catalog says of a product; refuse one it does not know."""
    return rules.stockable(catalog.get(product_id))


def _idempotent_write(
    command: IdempotentCommand, apply: Apply, *, uow: UnitOfWork, catalog: ProductCatalog
) -> StockLevel:
    # A replay is answered from the stored result, without asking products again.
    if command.idempotency_key:
        with uow:
            if (replayed := _stored_result(command, uow)) is not None:
                return replayed
    # Asked between the two transactions: none is open while products answers.
    require_product(command.product_id, catalog=catalog)
    with uow:
        key, now = command.idempotency_key, uow.now()
        # Claiming the key first serialises concurrent requests that share it: the loser
        # waits for the winner's commit, then answers with the winner's result.
        if key and not uow.idempotency.claim(key, fingerprint=command.fingerprint(), now=now):
            stored = _stored_result(command, uow)
            assert stored is not None
            return stored
        change = apply(command, uow=uow, now=now)
        if change.movement is not None:
            uow.movements.add(change.movement)
            uow.outbox.add(rules.stock_events(change, now=now))
        if key:
            uow.idempotency.complete(key, change.after)
        uow.commit()
    return change.after


def _stored_result(command: IdempotentCommand, uow: UnitOfWork) -> StockLevel | None:
    assert command.idempotency_key is not None
    stored = uow.idempotency.get(command.idempotency_key)
    if stored is None:
        return None
    if stored.fingerprint != command.fingerprint():
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different request.", field=("idempotencyKey",)
        )
    return stored.level


def _adjust(command: AdjustStock, *, uow: UnitOfWork, now: datetime) -> StockChange:
    change = uow.stock.add_to_on_hand(command.product_id, command.delta, now=now)
    if change is None:
        current = uow.stock.get(command.product_id)
        assert current is not None  # add_to_on_hand tracks the product before it refuses
        raise rules.refused_adjustment(current, command.delta)
    return rules.record_movement(change, command, now=now)


def _set(command: SetStock, *, uow: UnitOfWork, now: datetime) -> StockChange:
    locked = uow.stock.lock(command.product_id, now=now)
    if not rules.changes_on_hand(locked.after, command):
        return uow.stock.release(locked)  # it already has that value: it stays as it was
    change = uow.stock.set_on_hand(locked, command.on_hand, now=now)
    if change is None:
        raise rules.version_moved(locked.after)
    return rules.record_movement(change, command, now=now)


def get_stock_levels(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[StockLevel]:
    """Return each product's stock in the order asked, zeros where never stocked (one query)."""
    found = find_stock_levels(product_ids, uow=uow)
    return [
        level or StockLevel.untracked(product_id)
        for product_id, level in zip(product_ids, found, strict=True)
    ]


def find_stock_levels(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[StockLevel | None]:
    """Return each product's level in the order asked, None where never stocked (one query)."""
    with uow:
        found = uow.stock.get_many(product_ids)
    return in_order_asked(product_ids, found, key=lambda level: level.product_id)


def list_stock_levels(page: StockLevelPage, *, uow: UnitOfWork) -> tuple[list[StockLevel], bool]:
    """Return one page of tracked levels and whether another page follows."""
    with uow:
        rows = uow.stock.list(filter=page.filter, limit=page.first + 1, after=page.after)
    return page_of(rows, page.first)


def count_stock_levels(filter: StockLevelFilter, *, uow: UnitOfWork) -> int:
    """Return how many tracked levels match `filter`."""
    with uow:
        return uow.stock.count(filter=filter)


def list_movements(
    page: MovementPage, *, uow: UnitOfWork
) -> dict[UUID, tuple[list[StockMovement], bool]]:
    """Return, per product, one page of movements newest first and whether more follow."""
    with uow:
        found = uow.movements.list_for(page.product_ids, limit=page.first + 1, before=page.before)
    return {product_id: page_of(rows, page.first) for product_id, rows in found.items()}


def count_movements(product_id: UUID, *, uow: UnitOfWork) -> int:
    """Return how many movements a product's level has."""
    with uow:
        return uow.movements.count_for(product_id)


def purge_idempotency_keys(keep: timedelta, *, uow: UnitOfWork) -> int:
    """Forget idempotency keys older than `keep`."""
    with uow:
        purged = uow.idempotency.purge(older_than=uow.now() - keep)
        uow.commit()
    return purged
