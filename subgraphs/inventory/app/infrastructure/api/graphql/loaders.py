"""Per-request DataLoaders: one query for each kind of thing a request needs, whatever the
number asked (levels, a product's stock, movements, locations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader
from subgraph_kit.graphql.loaders import Run, batch_loader, by_uuid

from app.application.reads import (
    find_locations,
    find_stock_levels,
    get_product_stock,
    list_movements,
)
from app.domain.models import (
    LevelKey,
    Location,
    MovementPage,
    ProductStock,
    StockLevel,
    StockMovement,
)

# Product id, location id, page size, position to start before.
MovementKey = tuple[UUID, UUID, int, int | None]
MovementsAndMore = tuple[list[StockMovement], bool]


@dataclass
class Loaders:
    """Keyed by the ids clients send; an id that is not a UUID finds nothing (None)."""

    run: Run
    # A product's stock at DEFAULT and over its active locations (Product's fields, _entities).
    product_stock: DataLoader[str, ProductStock | None] = field(init=False)
    # A product's level at DEFAULT: None for one never stocked there (stockLevel).
    level_by_product: DataLoader[str, StockLevel | None] = field(init=False)
    movements: DataLoader[MovementKey, MovementsAndMore] = field(init=False)
    location: DataLoader[str, Location | None] = field(init=False)

    def __post_init__(self) -> None:
        self.product_stock = batch_loader(by_uuid(self._product_stock))
        self.level_by_product = batch_loader(by_uuid(self._levels))
        self.movements = batch_loader(self._load_movements)
        self.location = batch_loader(by_uuid(self._locations))

    async def _product_stock(self, product_ids: list[UUID]) -> list[ProductStock]:
        return await self.run(get_product_stock, product_ids)

    async def _levels(self, product_ids: list[UUID]) -> list[StockLevel | None]:
        return await self.run(find_stock_levels, product_ids)

    async def _locations(self, location_ids: list[UUID]) -> list[Location | None]:
        return await self.run(find_locations, location_ids)

    async def _load_movements(self, keys: Sequence[MovementKey]) -> list[MovementsAndMore]:
        # Levels listed on one page ask with the same (first, after): one query per such group.
        groups: dict[tuple[int, int | None], list[LevelKey]] = defaultdict(list)
        for product_id, location_id, first, before in keys:
            groups[first, before].append((product_id, location_id))
        pages: dict[MovementKey, MovementsAndMore] = {}
        for (first, before), levels in groups.items():
            page = MovementPage(tuple(levels), first=first, before=before)
            for (product_id, location_id), found in (await self.run(list_movements, page)).items():
                pages[product_id, location_id, first, before] = found
        return [pages[key] for key in keys]
