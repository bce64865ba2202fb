"""Abstract persistence interfaces, and the ProductCatalog port to the products subgraph."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from subgraph_kit.core.unit_of_work import UnitOfWork as BaseUnitOfWork

from app.domain.models import (
    CatalogProduct,
    StockChange,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)


class StockRepository(abc.ABC):
    """Stock levels. Each write starts tracking the product (at zero) if it is not tracked yet,
    and returns a `StockChange`: the level as the write found it and as it left it. A write
    that changes nothing leaves the level as it found it: no version bump, and a product it
    found untracked stays untracked (`before == after`)."""

    @abc.abstractmethod
    def get(self, product_id: UUID) -> StockLevel | None:
        """Return the tracked level of a product, or None."""

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
    def lock(self, product_id: UUID, *, now: datetime) -> StockChange:
        """Lock the level until the transaction ends; `after` is it as locked, and current."""

    @abc.abstractmethod
    def release(self, locked: StockChange) -> StockChange:
        """End a write that changes nothing after `lock`: leave the level as `lock` found it."""

    @abc.abstractmethod
    def add_to_on_hand(self, product_id: UUID, delta: int, *, now: datetime) -> StockChange | None:
        """Atomically add `delta`; None (and no change) when the result would leave 0..MAX."""

    @abc.abstractmethod
    def set_on_hand(
        self, locked: StockChange, on_hand: int, *, now: datetime
    ) -> StockChange | None:
        """Set on hand of a level `lock` returned; None (no change) if it left that version."""

    @abc.abstractmethod
    def set_reorder_point(
        self, product_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockChange:
        """Set the reorder point; a level that already has it is left as found."""


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
    """What an idempotency key recorded: the command's fingerprint and the level it answered."""

    fingerprint: str
    level: StockLevel


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def get(self, key: str) -> StoredResult | None:
        """Return what `key` recorded, or None."""

    @abc.abstractmethod
    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        """Take `key` for this transaction; False when another (committed) one holds it."""

    @abc.abstractmethod
    def complete(self, key: str, level: StockLevel) -> None:
        """Record the level the command that claimed `key` answered with."""

    @abc.abstractmethod
    def purge(self, *, older_than: datetime) -> int:
        """Forget keys claimed before `older_than`; return how many."""


class UnitOfWork(BaseUnitOfWork):
    """One transaction over levels, movements, idempotency keys and the outbox."""

    stock: StockRepository
    movements: MovementRepository
    idempotency: IdempotencyStore


class ProductCatalog(abc.ABC):
    """The products subgraph, as inventory's use cases need it."""

    @abc.abstractmethod
    def get(self, product_id: UUID) -> CatalogProduct | None:
        """Return the product, or None if products says it does not exist.

        Raise `ProductsUnavailable` when products cannot answer (down, slow, error, refused key).
        Blocks until products answers: call it with no transaction open.
        """
