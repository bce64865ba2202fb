"""In-memory fakes of the repository interfaces and of the products catalog."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from subgraph_kit.outbox import DomainEvent, Outbox, PendingEvent

from app.domain.errors import ProductsUnavailable
from app.domain.models import (
    MAX_ON_HAND,
    CatalogProduct,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)
from app.domain.repositories import (
    IdempotencyStore,
    MovementRepository,
    ProductCatalog,
    StockRepository,
    StoredResult,
    UnitOfWork,
)

T = TypeVar("T")


class FakeCatalog(ProductCatalog):
    """Knows the products added to it; `down=True` makes every call fail."""

    def __init__(self, *product_ids: UUID, down: bool = False) -> None:
        self.products = {
            pid: CatalogProduct(pid, f"SKU-{pid.hex[:6]}", "Widget", "ACTIVE")
            for pid in product_ids
        }
        self.down = down
        self.calls = 0

    def add(self, product_id: UUID) -> UUID:
        self.products[product_id] = CatalogProduct(product_id, "SKU", "Widget", "ACTIVE")
        return product_id

    async def get(self, product_id: UUID) -> CatalogProduct | None:
        self.calls += 1
        if self.down:
            raise ProductsUnavailable("products is down", field=("productId",))
        return self.products.get(product_id)

    async def ping(self) -> bool:
        return not self.down


async def run_inline(call: Callable[[], T]) -> T:
    return call()


class FakeStockRepository(StockRepository):
    def __init__(self, levels: dict[UUID, StockLevel]) -> None:
        self.levels = levels

    def get(self, product_id: UUID, *, for_update: bool = False) -> StockLevel | None:
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

    def ensure(self, product_id: UUID, *, now: datetime) -> bool:
        if product_id in self.levels:
            return True
        self.levels[product_id] = StockLevel(product_id, 0, 0, 0, now)
        return False

    def add_to_on_hand(self, product_id: UUID, delta: int, *, now: datetime) -> StockLevel | None:
        level = self.levels[product_id]
        if not 0 <= level.on_hand + delta <= MAX_ON_HAND:
            return None
        return self._save(replace(level, on_hand=level.on_hand + delta), now)

    def set_on_hand(
        self, product_id: UUID, on_hand: int, *, version: int, now: datetime
    ) -> StockLevel | None:
        level = self.levels[product_id]
        return (
            self._save(replace(level, on_hand=on_hand), now) if level.version == version else None
        )

    def set_reorder_point(
        self, product_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockLevel:
        return self._save(replace(self.levels[product_id], reorder_point=reorder_point), now)

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
        return StoredResult(row["fingerprint"], row["result"]) if row else None

    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = {"fingerprint": fingerprint, "result": None, "created_at": now}
        return True

    def complete(self, key: str, result: dict[str, Any]) -> None:
        self.keys[key]["result"] = result

    def purge(self, *, older_than: datetime) -> int:
        old = [k for k, row in self.keys.items() if row["created_at"] < older_than]
        for key in old:
            del self.keys[key]
        return len(old)


class FakeOutbox(Outbox):
    def __init__(self, events: list[DomainEvent]) -> None:
        self.events = events

    def add(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def pending(self, *, limit: int) -> list[PendingEvent]:
        raise NotImplementedError("the relay is tested against the database")

    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        raise NotImplementedError


class FakeUnitOfWork(UnitOfWork):
    """Works on copies of the committed state; `commit` publishes them."""

    def __init__(self) -> None:
        self.committed: dict[str, Any] = {"levels": {}, "movements": [], "keys": {}, "events": []}
        self.commits = 0
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def __enter__(self) -> FakeUnitOfWork:
        state = copy.deepcopy(self.committed)
        self.stock = FakeStockRepository(state["levels"])
        self.movements = FakeMovementRepository(state["movements"])
        self.idempotency = FakeIdempotencyStore(state["keys"])
        self.outbox = FakeOutbox(state["events"])
        return self

    def commit(self) -> None:
        self.committed = {
            "levels": self.stock.levels,
            "movements": self.movements.rows,
            "keys": self.idempotency.keys,
            "events": self.outbox.events,
        }
        self.commits += 1

    def rollback(self) -> None:
        pass

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    @property
    def event_names(self) -> list[str]:
        return [event.name for event in self.committed["events"]]

    @property
    def movement_deltas(self) -> list[int]:
        return [m.delta for m in self.committed["movements"]]
