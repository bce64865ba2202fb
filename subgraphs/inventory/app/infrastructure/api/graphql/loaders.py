"""Per-request DataLoaders: one query for the levels, one for the movements, a request needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader
from subgraph_kit.graphql.loaders import Run, batch_loader, by_uuid

from app.application.use_cases import find_stock_levels, get_stock_levels, list_movements
from app.domain.models import MovementPage, StockLevel, StockMovement

MovementKey = tuple[UUID, int, int | None]  # product id, page size, position to start before
MovementsAndMore = tuple[list[StockMovement], bool]


@dataclass
class Loaders:
    """Keyed by the ids clients send; an id that is not a UUID finds nothing (None)."""

    run: Run
    # A product's stock: zeros, not tracked, for one never stocked (Product.stock, _entities).
    stock_by_product: DataLoader[str, StockLevel | None] = field(init=False)
    # A product's level: None for one never stocked (stockLevel).
    level_by_product: DataLoader[str, StockLevel | None] = field(init=False)
    movements: DataLoader[MovementKey, MovementsAndMore] = field(init=False)

    def __post_init__(self) -> None:
        self.stock_by_product = batch_loader(by_uuid(self._stock))
        self.level_by_product = batch_loader(by_uuid(self._levels))
        self.movements = batch_loader(self._load_movements)

    async def _stock(self, product_ids: list[UUID]) -> list[StockLevel]:
        return await self.run(get_stock_levels, product_ids)

    async def _levels(self, product_ids: list[UUID]) -> list[StockLevel | None]:
        return await self.run(find_stock_levels, product_ids)

    async def _load_movements(self, keys: Sequence[MovementKey]) -> list[MovementsAndMore]:
        # Levels listed on one page ask with the same (first, after): one query per such group.
        groups: dict[tuple[int, int | None], list[UUID]] = defaultdict(list)
        for product_id, first, before in keys:
            groups[first, before].append(product_id)
        pages: dict[MovementKey, MovementsAndMore] = {}
        for (first, before), product_ids in groups.items():
            page = MovementPage(tuple(product_ids), first=first, before=before)
            for product_id, found in (await self.run(list_movements, page)).items():
                pages[product_id, first, before] = found
        return [pages[key] for key in keys]
