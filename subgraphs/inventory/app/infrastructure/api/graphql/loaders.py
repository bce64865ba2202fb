"""Per-request DataLoaders: one query for the levels, one for the movements, a request needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader
from subgraph_kit.ids import parse_uuid

from app.application.use_cases import get_stock_levels, list_movements
from app.domain.models import StockLevel, StockMovement

MAX_BATCH = 1000

Run = Callable[..., Awaitable[Any]]
MovementKey = tuple[UUID, int, int | None]  # product id, page size, position to start before
MovementPage = tuple[list[StockMovement], bool]


@dataclass
class Loaders:
    run: Run
    stock_by_product: DataLoader[str, StockLevel | None] = field(init=False)
    movements: DataLoader[MovementKey, MovementPage] = field(init=False)

    def __post_init__(self) -> None:
        self.stock_by_product = DataLoader(load_fn=self._load_levels, max_batch_size=MAX_BATCH)
        self.movements = DataLoader(load_fn=self._load_movements, max_batch_size=MAX_BATCH)

    async def _load_levels(self, ids: Sequence[str]) -> list[StockLevel | None]:
        wanted = [parse_uuid(product_id) for product_id in ids]
        valid = [product_id for product_id in wanted if product_id is not None]
        levels = await self.run(get_stock_levels, valid) if valid else []
        found = dict(zip(valid, levels, strict=True))
        return [found.get(product_id) if product_id else None for product_id in wanted]

    async def _load_movements(self, keys: Sequence[MovementKey]) -> list[MovementPage]:
        # Levels listed on one page ask with the same (first, after): one query per such group.
        groups: dict[tuple[int, int | None], list[UUID]] = defaultdict(list)
        for product_id, first, before in keys:
            groups[first, before].append(product_id)
        pages: dict[MovementKey, MovementPage] = {}
        for (first, before), product_ids in groups.items():
            found = await self.run(list_movements, product_ids, first=first, before=before)
            for product_id, page in found.items():
                pages[product_id, first, before] = page
        return [pages[key] for key in keys]
