"""Stock entities and value objects, and what inventory knows of a catalog product."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

MAX_ON_HAND = 2**31 - 1  # what a GraphQL Int can carry

# The location the migration creates and every request that names none works on. Its id is
# fixed, so that "no location" needs no lookup.
DEFAULT_LOCATION_ID = UUID("00000000-0000-4000-8000-000000000001")
DEFAULT_LOCATION_CODE = "DEFAULT"


class StockChangeReason(enum.Enum):
    RECEIVED = "RECEIVED"
    RETURNED = "RETURNED"
    SOLD = "SOLD"
    CORRECTION = "CORRECTION"
    CYCLE_COUNT = "CYCLE_COUNT"
    DAMAGED = "DAMAGED"
    SHRINKAGE = "SHRINKAGE"
    OTHER = "OTHER"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"


@dataclass(frozen=True, slots=True)
class Location:
    """A place that holds stock: a warehouse, a store, a van."""

    id: UUID
    code: str
    name: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StockLevel:
    """How much of one product is on hand at one location; `tracked` is False until it is
    first stocked there."""

    product_id: UUID
    on_hand: int
    reorder_point: int
    version: int
    updated_at: datetime | None
    tracked: bool = True
    location_id: UUID = DEFAULT_LOCATION_ID
    # The sum of the ACTIVE, unexpired holds here, as of the read that built the level.
    reserved: int = 0

    @property
    def available(self) -> int:
        """What can be sold or reserved: on hand less what is reserved, never below zero."""
        return max(self.on_hand - self.reserved, 0)

    @property
    def in_stock(self) -> bool:
        """Whether any of the product can be sold."""
        return self.available > 0

    @property
    def low_stock(self) -> bool:
        """Whether a tracked level is at or below its reorder point."""
        return self.tracked and self.available <= self.reorder_point

    @classmethod
    def untracked(cls, product_id: UUID, location_id: UUID = DEFAULT_LOCATION_ID) -> StockLevel:
        """The stock of a product never stocked at a location: zeros, `tracked=False`."""
        return cls(
            product_id,
            on_hand=0,
            reorder_point=0,
            version=0,
            updated_at=None,
            tracked=False,
            location_id=location_id,
        )


@dataclass(frozen=True, slots=True)
class ProductStock:
    """All that inventory holds of one product: its level at DEFAULT (what `Product.stock`
    reports, zeros if never stocked there) and its tracked levels at active locations."""

    default: StockLevel
    levels: tuple[StockLevel, ...]

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.levels)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for level in self.levels)

    @property
    def available(self) -> int:
        """What can be sold anywhere: the sum of the levels' available."""
        return sum(level.available for level in self.levels)

    @property
    def in_stock(self) -> bool:
        return self.available > 0

    @property
    def low_stock(self) -> bool:
        """Whether the product, counted over its active locations, is at or below the sum of
        their reorder points (a product stocked nowhere is not low)."""
        reorder_point = sum(level.reorder_point for level in self.levels)
        return bool(self.levels) and self.available <= reorder_point


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
    location_id: UUID = DEFAULT_LOCATION_ID


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
    location_ids: tuple[UUID, ...] | None = None
    low_stock: bool | None = None
    out_of_stock: bool | None = None


@dataclass(frozen=True, slots=True)
class StockLevelPage:
    """Which page of tracked levels is asked for: `first` levels after the (product id,
    location id) `after`."""

    filter: StockLevelFilter
    first: int
    after: tuple[UUID, UUID] | None = None


# A level's identity: (product id, location id).
LevelKey = tuple[UUID, UUID]


@dataclass(frozen=True, slots=True)
class MovementPage:
    """Which page of movements is asked for, per level: `first` older than `before`."""

    levels: tuple[LevelKey, ...]
    first: int
    before: int | None = None


@dataclass(frozen=True, slots=True)
class LocationPage:
    """Which page of locations is asked for: `first` after code `after`, ordered by code."""

    first: int
    after: str | None = None
    include_inactive: bool = False


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


@dataclass(frozen=True, slots=True)
class Transfer:
    """Stock moved between two locations: the change at the source and at the destination."""

    source: StockChange
    destination: StockChange


class ReservationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class Reservation:
    """A hold of `quantity` of a product at a location for a reference (a cart, an order),
    until `expires_at`. Stored ACTIVE until committed, released or swept; an ACTIVE hold past
    its expiry already counts for nothing (`status_at`)."""

    id: UUID
    reference: str
    product_id: UUID
    location_id: UUID
    quantity: int
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime

    def status_at(self, now: datetime) -> ReservationStatus:
        """The status as of `now`: an ACTIVE hold is EXPIRED from its expiry on, swept or not."""
        if self.status is ReservationStatus.ACTIVE and self.expires_at <= now:
            return ReservationStatus.EXPIRED
        return self.status

    def counts_at(self, now: datetime) -> bool:
        """Whether the hold counts towards `reserved` at `now`."""
        return self.status_at(now) is ReservationStatus.ACTIVE
