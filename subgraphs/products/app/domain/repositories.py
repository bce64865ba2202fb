"""Abstract persistence interfaces: the application talks to these, never to a database."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from subgraph_kit.outbox import Outbox

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


class UnitOfWork(abc.ABC):
    """One transaction: leaving the `with` block without `commit()` rolls back."""

    products: ProductRepository
    outbox: Outbox

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every staged change durable."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard every staged change."""

    @abc.abstractmethod
    def now(self) -> datetime:
        """Return the current time in UTC."""
