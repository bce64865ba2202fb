"""Stock entities and value objects, and what inventory knows of a catalog product."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

MAX_ON_HAND = 2**31 - 1  # what a GraphQL Int can carry


class StockChangeReason(enum.Enum):
    RECEIVED = "RECEIVED"
    RETURNED = "RETURNED"
    SOLD = "SOLD"
    CORRECTION = "CORRECTION"
    CYCLE_COUNT = "CYCLE_COUNT"
    DAMAGED = "DAMAGED"
    SHRINKAGE = "SHRINKAGE"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class StockLevel:
    """How much of one product is on hand; `tracked` is False until it is first stocked."""

    product_id: UUID
    on_hand: int
    reorder_point: int
    version: int
    updated_at: datetime | None
    tracked: bool = True

    @property
    def available(self) -> int:
        """What can be sold: on hand until reservations exist."""
        return self.on_hand

    @property
    def in_stock(self) -> bool:
        """Whether any of the product can be sold."""
        return self.available > 0

    @property
    def low_stock(self) -> bool:
        """Whether a tracked level is at or below its reorder point."""
        return self.tracked and self.available <= self.reorder_point

    @classmethod
    def untracked(cls, product_id: UUID) -> StockLevel:
        """The stock of a product that was never stocked: zeros, `tracked=False`."""
        return cls(
            product_id, on_hand=0, reorder_point=0, version=0, updated_at=None, tracked=False
        )


@dataclass(frozen=True, slots=True)
class StockMovement:
    """One change of on-hand stock, kept forever as the level's audit trail."""

    id: UUID
    product_id: UUID
    delta: int
    on_hand_after: int
    reason: StockChangeReason
    reference: str | None
    created_at: datetime
    position: int = 0  # order of insertion, set by the repository


@dataclass(frozen=True, slots=True)
class StockChange:
    """One write to a level: the level as the write found it and as it left it.

    `before` is untracked when the write started tracking the product. `movement` is the
    audit-trail entry of an on-hand change (None when on hand did not move).
    """

    before: StockLevel
    after: StockLevel
    movement: StockMovement | None = None

    @property
    def delta(self) -> int:
        """How much on hand moved."""
        return self.after.on_hand - self.before.on_hand


@dataclass(frozen=True, slots=True)
class StockLevelFilter:
    product_ids: tuple[UUID, ...] | None = None
    low_stock: bool | None = None
    out_of_stock: bool | None = None


@dataclass(frozen=True, slots=True)
class StockLevelPage:
    """Which page of tracked levels is asked for: `first` levels after product id `after`."""

    filter: StockLevelFilter
    first: int
    after: UUID | None = None


@dataclass(frozen=True, slots=True)
class MovementPage:
    """Which page of movements is asked for, per product: `first` older than `before`."""

    product_ids: tuple[UUID, ...]
    first: int
    before: int | None = None


class ProductStatus(enum.StrEnum):
    """The catalog's lifecycle of a product, as products reports it."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """What the products subgraph says about a product."""

    id: UUID
    sku: str
    name: str
    status: ProductStatus
