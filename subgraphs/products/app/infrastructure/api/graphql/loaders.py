"""Per-request DataLoaders: one query for every product the request asks for by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader
from subgraph_kit.ids import parse_uuid

from app.application.use_cases import get_products
from app.infrastructure.api.graphql.types import Product

MAX_BATCH = 1000

Run = Callable[..., Awaitable[Any]]


@dataclass
class Loaders:
    run: Run
    product_by_id: DataLoader[str, Product | None] = field(init=False)

    def __post_init__(self) -> None:
        self.product_by_id = DataLoader(load_fn=self._load_products, max_batch_size=MAX_BATCH)

    async def _load_products(self, ids: Sequence[str]) -> list[Product | None]:
        wanted = [parse_uuid(product_id) for product_id in ids]
        valid: list[UUID] = [product_id for product_id in wanted if product_id is not None]
        found = dict(zip(valid, await self.run(get_products, valid), strict=True)) if valid else {}
        return [
            Product.from_domain(product) if (product := found.get(product_id)) else None
            for product_id in wanted
        ]
