"""In-memory fakes of the repository interfaces and of the products catalog, with real commit
and rollback (the unit of work works on a copy of the committed state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from subgraph_kit_testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork

from app.domain.errors import ProductsUnavailable
from app.domain.models import (
    MAX_ON_HAND,
    CatalogProduct,
    ProductStatus,
    StockChange,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)
from app.domain.repositories import (
    IdempotencyStore,
    MovementRepository,
    StockRepository,
    StoredResult,
    UnitOfWork,
)
from app.infrastructure.products_client import CatalogClient


class FakeCatalog(CatalogClient):
    """Knows the products added to it; `down=True` makes every call fail.

    `asked_in_transaction` records, per call, whether `watching` (a unit of work) was open.
    """

    def __init__(self, *product_ids: UUID, down: bool = False) -> None:
        self.products = {pid: self._product(pid) for pid in product_ids}
        self.down = down
        self.calls = 0
        self.watching: FakeUnitOfWork | None = None
        self.asked_in_transaction: list[bool] = []

    @staticmethod
    def _product(product_id: UUID, status: ProductStatus = ProductStatus.ACTIVE) -> CatalogProduct:
        return CatalogProduct(product_id, f"SKU-{product_id.hex[:6]}", "Widget", status)

    def add(self, product_id: UUID, status: ProductStatus = ProductStatus.ACTIVE) -> UUID:
        self.products[product_id] = self._product(product_id, status)
        return product_id

    def get(self, product_id: UUID) -> CatalogProduct | None:
        self.calls += 1
        if self.watching is not None:
            self.asked_in_transaction.append(self.watching.is_open)
        if self.down:
            raise ProductsUnavailable("products is down", field=("productId",))
        return self.products.get(product_id)

    async def ping(self) -> bool:
        return not self.down


class FakeStockRepository(StockRepository):
    def __init__(self, levels: dict[UUID, StockLevel]) -> None:
        self.levels = levels

    def get(self, product_id: UUID) -> StockLevel | None:
        return self.levels.get(product_id)

    def get_many(self, product_ids: Sequence[UUID]) -> list[StockLevel]:
        return [self.levels[p] for p in set(product_ids) if p in self.levels]

    def list(self, *, filter: StockLevelFilter, limit: int, after: UUID | None) -> list[StockLevel]:
        rows = sorted(
            (lv for lv in self.levels.values() if _matches(lv, filter)),
            key=lambda lv: lv.product_id,
        )
        return [lv for lv in rows if after is None or lv.product_id > after][:limit]

    def count(self, *, filter: StockLevelFilter) -> int:
        return sum(1 for lv in self.levels.values() if _matches(lv, filter))

    def lock(self, product_id: UUID, *, now: datetime) -> StockChange:
        before = self._track(product_id, now)
        return StockChange(before, self.levels[product_id])

    def release(self, locked: StockChange) -> StockChange:
        return self._leave_as_found(locked.before)

    def add_to_on_hand(self, product_id: UUID, delta: int, *, now: datetime) -> StockChange | None:
        before = self._track(product_id, now)
        level = self.levels[product_id]
        if not 0 <= level.on_hand + delta <= MAX_ON_HAND:
            return None
        return StockChange(before, self._save(replace(level, on_hand=level.on_hand + delta), now))

    def set_on_hand(
        self, locked: StockChange, on_hand: int, *, now: datetime
    ) -> StockChange | None:
        level = self.levels[locked.after.product_id]
        if level.version != locked.after.version:
            return None
        return StockChange(locked.before, self._save(replace(level, on_hand=on_hand), now))

    def set_reorder_point(
        self, product_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockChange:
        before = self._track(product_id, now)
        level = self.levels[product_id]
        if level.reorder_point == reorder_point:
            return self._leave_as_found(before)
        return StockChange(before, self._save(replace(level, reorder_point=reorder_point), now))

    def _track(self, product_id: UUID, now: datetime) -> StockLevel:
        """Start tracking at zero if needed; return the level as found (untracked if it was)."""
        if product_id in self.levels:
            return self.levels[product_id]
        self.levels[product_id] = StockLevel(product_id, 0, 0, 0, now)
        return StockLevel.untracked(product_id)

    def _leave_as_found(self, found: StockLevel) -> StockChange:
        """End a write that changes nothing; untrack the product again if it was untracked."""
        if not found.tracked:
            del self.levels[found.product_id]
        return StockChange(found, found)

    def _save(self, level: StockLevel, now: datetime) -> StockLevel:
        saved = replace(level, version=level.version + 1, updated_at=now)
        self.levels[level.product_id] = saved
        return saved


def _matches(level: StockLevel, f: StockLevelFilter) -> bool:
    return (
        (f.product_ids is None or level.product_id in f.product_ids)
        and (f.low_stock is None or level.low_stock == f.low_stock)
        and (f.out_of_stock is None or (level.on_hand == 0) == f.out_of_stock)
    )


class FakeMovementRepository(MovementRepository):
    def __init__(self, rows: list[StockMovement]) -> None:
        self.rows = rows

    def add(self, movement: StockMovement) -> None:
        self.rows.append(replace(movement, position=len(self.rows) + 1))

    def list_for(
        self, product_ids: Sequence[UUID], *, limit: int, before: int | None
    ) -> dict[UUID, list[StockMovement]]:
        newest = sorted(self.rows, key=lambda m: -m.position)
        return {
            pid: [
                m for m in newest if m.product_id == pid and (before is None or m.position < before)
            ][:limit]
            for pid in product_ids
        }

    def count_for(self, product_id: UUID) -> int:
        return sum(1 for m in self.rows if m.product_id == product_id)


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, keys: dict[str, dict[str, Any]]) -> None:
        self.keys = keys

    def get(self, key: str) -> StoredResult | None:
        row = self.keys.get(key)
        return StoredResult(row["fingerprint"], row["level"]) if row else None

    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = {"fingerprint": fingerprint, "level": None, "created_at": now}
        return True

    def complete(self, key: str, level: StockLevel) -> None:
        self.keys[key]["level"] = level

    def purge(self, *, older_than: datetime) -> int:
        old = [k for k, row in self.keys.items() if row["created_at"] < older_than]
        for key in old:
            del self.keys[key]
        return len(old)


class FakeUnitOfWork(BaseFakeUnitOfWork, UnitOfWork):
    """The inventory's state: `committed["levels"]` (by product), `["movements"]`, `["keys"]`
    and the committed events; `is_open` while a `with` block runs."""

    def __init__(self) -> None:
        super().__init__(levels={}, movements=[], keys={})
        self.is_open = False

    def __enter__(self) -> FakeUnitOfWork:
        super().__enter__()
        self.is_open = True
        return self

    def __exit__(self, *args: object) -> None:
        self.is_open = False
        super().__exit__(*args)

    def open_repositories(self, state: dict[str, Any]) -> None:
        self.stock = FakeStockRepository(state["levels"])
        self.movements = FakeMovementRepository(state["movements"])
        self.idempotency = FakeIdempotencyStore(state["keys"])

    @property
    def movement_deltas(self) -> list[int]:
        return [m.delta for m in self.committed["movements"]]
