"""Per-request DataLoaders: one query for every product the request asks for by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader
from subgraph_kit.graphql.loaders import Run, batch_loader, by_uuid

from app.application.use_cases import get_products
from app.infrastructure.api.graphql.types import Product


@dataclass
class Loaders:
    run: Run
    product_by_id: DataLoader[str, Product | None] = field(init=False)

    def __post_init__(self) -> None:
        self.product_by_id = batch_loader(by_uuid(self._products))

    async def _products(self, ids: Sequence[UUID]) -> list[Product | None]:
        found = await self.run(get_products, ids)
        return [Product.from_domain(product) if product else None for product in found]
