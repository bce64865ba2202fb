"""In-memory fakes of the catalog's repository interfaces, with real commit and rollback."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from subgraph_kit.messaging.asyncapi import check_message
from subgraph_kit_testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork

from app.domain.errors import DuplicateSku
from app.domain.models import Product, ProductFilter, ProductSort, SortKey, sort_key
from app.domain.repositories import ProductRepository, UnitOfWork
from app.infrastructure.asyncapi import MESSAGES


class FakeProductRepository(ProductRepository):
    def __init__(self, rows: dict[UUID, Product]) -> None:
        self.rows = rows

    def add(self, product: Product) -> None:
        self._check_sku(product)
        self.rows[product.id] = product

    def update(self, product: Product) -> None:
        self._check_sku(product)
        self.rows[product.id] = product

    def delete(self, product_id: UUID) -> None:
        del self.rows[product_id]

    def get(self, product_id: UUID, *, for_update: bool = False) -> Product | None:
        return self.rows.get(product_id)

    def get_by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.rows.values() if p.sku == sku), None)

    def get_many(self, product_ids: Sequence[UUID]) -> list[Product]:
        return [self.rows[i] for i in set(product_ids) if i in self.rows]

    def list(
        self, *, filter: ProductFilter, sort: ProductSort, limit: int, after: SortKey | None
    ) -> list[Product]:
        matching = sorted(
            (p for p in self.rows.values() if _matches(p, filter)),
            key=lambda p: sort_key(p, sort),
            reverse=sort.descending,
        )
        if after is not None:
            matching = [
                p
                for p in matching
                if (sort_key(p, sort) < after if sort.descending else sort_key(p, sort) > after)
            ]
        return matching[:limit]

    def count(self, *, filter: ProductFilter) -> int:
        return sum(1 for p in self.rows.values() if _matches(p, filter))

    def _check_sku(self, product: Product) -> None:
        if any(p.sku == product.sku and p.id != product.id for p in self.rows.values()):
            raise DuplicateSku(f"A product with SKU {product.sku} exists.", field=("sku",))


def _matches(product: Product, f: ProductFilter) -> bool:
    search = (f.search or "").lower()
    return (
        (f.ids is None or product.id in f.ids)
        and (f.skus is None or product.sku in f.skus)
        and (f.statuses is None or product.status in f.statuses)
        and (search in product.name.lower() or search in product.sku.lower())
        and (f.min_price is None or product.price.amount >= f.min_price)
        and (f.max_price is None or product.price.amount <= f.max_price)
    )


class FakeUnitOfWork(BaseFakeUnitOfWork, UnitOfWork):
    """The catalog's state: `committed["products"]` (by id) and the committed events."""

    check_event = staticmethod(functools.partial(check_message, MESSAGES))

    def __init__(self) -> None:
        super().__init__(products={})

    def open_repositories(self, state: dict[str, Any]) -> None:
        self.products = FakeProductRepository(state["products"])
