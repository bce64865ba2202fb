"""Inventory use cases. Writes ask the catalog first, then change stock in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from app.domain import use_cases as rules
from app.domain.errors import IdempotencyKeyReused, InvalidInput, ProductNotFound
from app.domain.models import StockLevel, StockLevelFilter, StockMovement
from app.domain.repositories import ProductCatalog, UnitOfWork
from app.domain.schemas import AdjustStock, SetReorderPoint, SetStock

T = TypeVar("T")
InThread = Callable[[Callable[[], T]], Awaitable[T]]
IdempotentCommand = AdjustStock | SetStock

SET_STOCK_ATTEMPTS = 5


async def adjust_stock(
    command: AdjustStock, *, uow: UnitOfWork, catalog: ProductCatalog, in_thread: InThread
) -> StockLevel:
    """Add `delta` to on hand (never below zero), recording a movement and events."""
    return await _write(command, _apply_adjustment, uow=uow, catalog=catalog, in_thread=in_thread)


async def set_stock(
    command: SetStock, *, uow: UnitOfWork, catalog: ProductCatalog, in_thread: InThread
) -> StockLevel:
    """Set on hand to a counted value, optionally only if the level is at `expected_version`."""
    return await _write(command, _apply_set, uow=uow, catalog=catalog, in_thread=in_thread)


async def set_reorder_point(
    command: SetReorderPoint, *, uow: UnitOfWork, catalog: ProductCatalog, in_thread: InThread
) -> StockLevel:
    """Change the level at or below which a product counts as low on stock."""
    await require_product(command.product_id, catalog)
    return await in_thread(partial(_apply_reorder_point, command, uow=uow))


async def require_product(product_id: UUID, catalog: ProductCatalog) -> None:
    """Refuse a write for a product the catalog does not know (ProductsUnavailable propagates)."""
    if await catalog.get(product_id) is None:
        raise ProductNotFound(
            "The products subgraph has no product with this id.", field=("productId",)
        )


async def _write(
    command: IdempotentCommand,
    apply: Callable[..., StockLevel],
    *,
    uow: UnitOfWork,
    catalog: ProductCatalog,
    in_thread: InThread,
) -> StockLevel:
    # A replay is answered from the stored result, without asking products again.
    if command.idempotency_key and (
        replayed := await in_thread(partial(_replay, command, uow=uow))
    ):
        return replayed
    await require_product(command.product_id, catalog)
    return await in_thread(partial(_idempotent, command, apply, uow=uow))


def _replay(command: IdempotentCommand, *, uow: UnitOfWork) -> StockLevel | None:
    with uow:
        return _stored_result(command, uow)


def _stored_result(command: IdempotentCommand, uow: UnitOfWork) -> StockLevel | None:
    assert command.idempotency_key is not None
    stored = uow.idempotency.get(command.idempotency_key)
    if stored is None:
        return None
    if stored.fingerprint != command.fingerprint():
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different request.", field=("idempotencyKey",)
        )
    return level_from_snapshot(stored.result or {})


def _idempotent(
    command: IdempotentCommand, apply: Callable[..., StockLevel], *, uow: UnitOfWork
) -> StockLevel:
    with uow:
        key, now = command.idempotency_key, uow.now()
        # Claiming the key first serialises concurrent requests that share it: the loser
        # waits for the winner's commit, then answers with the winner's result.
        if key and not uow.idempotency.claim(key, fingerprint=command.fingerprint(), now=now):
            stored = _stored_result(command, uow)
            assert stored is not None
            return stored
        level = apply(command, uow=uow, now=now)
        if key:
            uow.idempotency.complete(key, level_snapshot(level))
        uow.commit()
    return level


def _apply_adjustment(command: AdjustStock, *, uow: UnitOfWork, now: datetime) -> StockLevel:
    was_tracked = uow.stock.ensure(command.product_id, now=now)
    after = uow.stock.add_to_on_hand(command.product_id, command.delta, now=now)
    if after is None:
        current = uow.stock.get(command.product_id)
        assert current is not None
        raise rules.refused_adjustment(current, command.delta)
    before = rules.level_before(after, command.delta, was_tracked)
    _record(before, after, command.delta, command, uow=uow, now=now)
    return after


def _apply_set(command: SetStock, *, uow: UnitOfWork, now: datetime) -> StockLevel:
    was_tracked = uow.stock.ensure(command.product_id, now=now)
    for _ in range(SET_STOCK_ATTEMPTS):
        current = uow.stock.get(command.product_id, for_update=True)
        assert current is not None
        rules.check_expected_version(current, command.expected_version)
        delta = command.on_hand - current.on_hand
        if delta == 0:
            return current
        after = uow.stock.set_on_hand(
            command.product_id, command.on_hand, version=current.version, now=now
        )
        if after is not None:
            before = current if was_tracked else StockLevel.untracked(current.product_id)
            _record(before, after, delta, command, uow=uow, now=now)
            return after
    # Only reachable on SQLite, which has no row locks, under sustained contention.
    raise InvalidInput("The level changed repeatedly while setting it; try again.")


def _apply_reorder_point(command: SetReorderPoint, *, uow: UnitOfWork) -> StockLevel:
    with uow:
        now = uow.now()
        was_tracked = uow.stock.ensure(command.product_id, now=now)
        before = uow.stock.get(command.product_id, for_update=True)
        assert before is not None
        after = uow.stock.set_reorder_point(command.product_id, command.reorder_point, now=now)
        before = before if was_tracked else StockLevel.untracked(before.product_id)
        uow.outbox.add(rules.stock_events(before, after, None, now))
        uow.commit()
    return after


def _record(
    before: StockLevel,
    after: StockLevel,
    delta: int,
    command: IdempotentCommand,
    *,
    uow: UnitOfWork,
    now: datetime,
) -> None:
    movement = rules.record_movement(after, delta, command.reason, command.reference, now)
    uow.movements.add(movement)
    uow.outbox.add(rules.stock_events(before, after, movement, now))


def level_snapshot(level: StockLevel) -> dict[str, Any]:
    """Describe a level as JSON, to be stored with an idempotency key."""
    return {
        "productId": str(level.product_id),
        "onHand": level.on_hand,
        "reorderPoint": level.reorder_point,
        "version": level.version,
        "updatedAt": level.updated_at.isoformat() if level.updated_at else None,
    }


def level_from_snapshot(snapshot: dict[str, Any]) -> StockLevel:
    updated_at = snapshot.get("updatedAt")
    return StockLevel(
        product_id=UUID(snapshot["productId"]),
        on_hand=snapshot["onHand"],
        reorder_point=snapshot["reorderPoint"],
        version=snapshot["version"],
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
    )


def get_stock_level(product_id: UUID, *, uow: UnitOfWork) -> StockLevel | None:
    """Return the tracked level of a product, or None if it was never stocked."""
    with uow:
        return uow.stock.get(product_id)


def get_stock_levels(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[StockLevel]:
    """Return each product's level in the order asked; untracked zeros where none (one query)."""
    with uow:
        found = {level.product_id: level for level in uow.stock.get_many(product_ids)}
    return [found.get(product_id) or StockLevel.untracked(product_id) for product_id in product_ids]


def list_stock_levels(
    *, uow: UnitOfWork, filter: StockLevelFilter, first: int, after: UUID | None
) -> tuple[list[StockLevel], bool]:
    """Return one page of tracked levels and whether another page follows."""
    with uow:
        rows = uow.stock.list(filter=filter, limit=first + 1, after=after)
    return rows[:first], len(rows) > first


def count_stock_levels(*, uow: UnitOfWork, filter: StockLevelFilter) -> int:
    """Return how many tracked levels match `filter`."""
    with uow:
        return uow.stock.count(filter=filter)


def list_movements(
    product_ids: Sequence[UUID], *, uow: UnitOfWork, first: int, before: int | None
) -> dict[UUID, tuple[list[StockMovement], bool]]:
    """Return, per product, one page of movements newest first and whether more follow."""
    with uow:
        found = uow.movements.list_for(product_ids, limit=first + 1, before=before)
    return {pid: (rows[:first], len(rows) > first) for pid, rows in found.items()}


def count_movements(product_id: UUID, *, uow: UnitOfWork) -> int:
    """Return how many movements a product's level has."""
    with uow:
        return uow.movements.count_for(product_id)


def purge_idempotency_keys(*, uow: UnitOfWork, keep: timedelta) -> int:
    """Forget idempotency keys older than `keep`."""
    with uow:
        purged = uow.idempotency.purge(older_than=uow.now() - keep)
        uow.commit()
    return purged
