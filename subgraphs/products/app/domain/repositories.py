"""Abstract persistence interfaces: the application talks to these, never to a database."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from uuid import UUID

from subgraph_kit.core.unit_of_work import UnitOfWork as BaseUnitOfWork

from app.domain.models import Product, ProductFilter, ProductSort, SortKey


class ProductRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, product: Product) -> None:
        """Stage a new product; raise `DuplicateSku` when its SKU is taken."""

    @abc.abstractmethod
    def update(self, product: Product) -> None:
        """Stage new values for an existing product; raise `DuplicateSku` when the SKU is taken."""

    @abc.abstractmethod
    def delete(self, product_id: UUID) -> None:
        """Stage the removal of a product."""

    @abc.abstractmethod
    def get(self, product_id: UUID, *, for_update: bool = False) -> Product | None:
        """Return the product with this id, or None; `for_update` locks it until commit."""

    @abc.abstractmethod
    def get_by_sku(self, sku: str) -> Product | None:
        """Return the product with this (normalised) SKU, or None."""

    @abc.abstractmethod
    def get_many(self, product_ids: Sequence[UUID]) -> list[Product]:
        """Return the products that exist among `product_ids`, in any order."""

    @abc.abstractmethod
    def list(
        self, *, filter: ProductFilter, sort: ProductSort, limit: int, after: SortKey | None
    ) -> list[Product]:
        """Return up to `limit` products matching `filter`, ordered by `sort`, after a position."""

    @abc.abstractmethod
    def count(self, *, filter: ProductFilter) -> int:
        """Return how many products match `filter`."""


class UnitOfWork(BaseUnitOfWork):
    """One transaction over the catalog and the outbox."""

    products: ProductRepository
