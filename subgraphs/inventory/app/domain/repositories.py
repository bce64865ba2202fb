"""Abstract persistence interfaces, and the ProductCatalog port to the products subgraph."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from subgraph_kit.outbox import Outbox

from app.domain.models import CatalogProduct, StockLevel, StockLevelFilter, StockMovement


class StockRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, product_id: UUID, *, for_update: bool = False) -> StockLevel | None:
        """Return the tracked level of a product, or None; `for_update` locks it."""

    @abc.abstractmethod
    def get_many(self, product_ids: Sequence[UUID]) -> list[StockLevel]:
        """Return the tracked levels among `product_ids`, in any order (one query)."""

    @abc.abstractmethod
    def list(self, *, filter: StockLevelFilter, limit: int, after: UUID | None) -> list[StockLevel]:
        """Return up to `limit` tracked levels matching `filter`, ordered by product id."""

    @abc.abstractmethod
    def count(self, *, filter: StockLevelFilter) -> int:
        """Return how many tracked levels match `filter`."""

    @abc.abstractmethod
    def ensure(self, product_id: UUID, *, now: datetime) -> bool:
        """Start tracking a product at zero unless it is tracked; return whether it was."""

    @abc.abstractmethod
    def add_to_on_hand(self, product_id: UUID, delta: int, *, now: datetime) -> StockLevel | None:
        """Atomically add `delta`; None (and no change) when the result would leave 0..MAX."""

    @abc.abstractmethod
    def set_on_hand(
        self, product_id: UUID, on_hand: int, *, version: int, now: datetime
    ) -> StockLevel | None:
        """Set on hand if the level is still at `version`; None (and no change) otherwise."""

    @abc.abstractmethod
    def set_reorder_point(
        self, product_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockLevel:
        """Set the reorder point of a tracked level."""


class MovementRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, movement: StockMovement) -> None:
        """Stage a movement."""

    @abc.abstractmethod
    def list_for(
        self, product_ids: Sequence[UUID], *, limit: int, before: int | None
    ) -> dict[UUID, list[StockMovement]]:
        """Return, per product, up to `limit` movements newest first, older than `before`."""

    @abc.abstractmethod
    def count_for(self, product_id: UUID) -> int:
        """Return how many movements one product has."""


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What an idempotency key recorded: the command's fingerprint and its result."""

    fingerprint: str
    result: dict[str, Any] | None


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def get(self, key: str) -> StoredResult | None:
        """Return what `key` recorded, or None."""

    @abc.abstractmethod
    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        """Take `key` for this transaction; False when another (committed) one holds it."""

    @abc.abstractmethod
    def complete(self, key: str, result: dict[str, Any]) -> None:
        """Record the result of the command that claimed `key`."""

    @abc.abstractmethod
    def purge(self, *, older_than: datetime) -> int:
        """Forget keys claimed before `older_than`; return how many."""


class UnitOfWork(abc.ABC):
    """One transaction: leaving the `with` block without `commit()` rolls back."""

    stock: StockRepository
    movements: MovementRepository
    idempotency: IdempotencyStore
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


class ProductCatalog(abc.ABC):
    """The products subgraph, as inventory needs it."""

    @abc.abstractmethod
    async def get(self, product_id: UUID) -> CatalogProduct | None:
        """Return the product, or None if products says it does not exist.

        Raise `ProductsUnavailable` when products cannot answer (down, slow, error, refused key).
        """

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Tell whether products answers at all (for readiness reports)."""
