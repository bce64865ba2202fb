"""Catalog entities, value objects and the shape of a listing request."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID


class ProductStatus(enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ProductSort(enum.Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    SKU_ASC = "SKU_ASC"

    @property
    def descending(self) -> bool:
        return self.value.endswith("_DESC")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with exactly two decimal places in one currency."""

    amount: Decimal
    currency_code: str

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(2))

    @classmethod
    def from_minor_units(cls, minor: int, currency_code: str) -> Money:
        return cls(Decimal(minor).scaleb(-2), currency_code)


@dataclass(frozen=True, slots=True)
class Product:
    id: UUID
    sku: str
    name: str
    description: str | None
    price: Money
    status: ProductStatus
    created_at: datetime
    updated_at: datetime

    def with_changes(self, changes: dict[str, object], now: datetime) -> Product:
        """Return a copy with `changes` applied and `updated_at` moved to `now`."""
        return replace(self, **changes, updated_at=now)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ProductFilter:
    ids: tuple[UUID, ...] | None = None
    skus: tuple[str, ...] | None = None
    statuses: tuple[ProductStatus, ...] | None = None
    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


SortKey = tuple[object, UUID]


@dataclass(frozen=True, slots=True)
class ProductPage:
    """One page of a listing: `first` products matching `filter` in `sort` order, `after` a key."""

    filter: ProductFilter
    sort: ProductSort
    first: int
    after: SortKey | None = None


def sort_key(product: Product, sort: ProductSort) -> SortKey:
    """Return the keyset position of `product` in a listing ordered by `sort`."""
    column = {
        ProductSort.CREATED_AT_DESC: product.created_at,
        ProductSort.CREATED_AT_ASC: product.created_at,
        ProductSort.NAME_ASC: product.name,
        ProductSort.NAME_DESC: product.name,
        ProductSort.PRICE_ASC: product.price.minor_units,
        ProductSort.PRICE_DESC: product.price.minor_units,
        ProductSort.SKU_ASC: product.sku,
    }[sort]
    return (column, product.id)
