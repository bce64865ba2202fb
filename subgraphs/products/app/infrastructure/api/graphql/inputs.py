"""GraphQL input types and their translation into domain commands and filters."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry import UNSET
from subgraph_kit.core.ids import parse_uuid
from subgraph_kit.graphql.errors import BadUserInput, lookup_text

from app.domain import models
from app.domain.schemas import MAX_AMOUNT, CreateProduct, UpdateProduct, canonical_sku
from app.infrastructure.api.graphql.types import ProductStatus

MAX_SEARCH = 200  # the longest name; longer searches cannot match


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency_code: str

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency_code": self.currency_code}


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    description: str | None = None
    price: MoneyInput
    status: ProductStatus = models.ProductStatus.ACTIVE  # type: ignore[valid-type]

    def to_command(self) -> CreateProduct:
        return CreateProduct.model_validate(
            {
                "sku": self.sku,
                "name": self.name,
                "description": self.description,
                "price": self.price.to_dict(),
                "status": self.status,
            }
        )


@strawberry.input(description="Omitted fields stay as they are; `description: null` clears it.")
class UpdateProductInput:
    sku: str | None = UNSET
    name: str | None = UNSET
    description: str | None = UNSET
    price: MoneyInput | None = UNSET
    status: ProductStatus | None = UNSET  # type: ignore[valid-type]

    def to_command(self, product_id: UUID) -> UpdateProduct:
        given = {
            name: getattr(self, name)
            for name in ("sku", "name", "description", "price", "status")
            if getattr(self, name) is not UNSET
        }
        if isinstance(given.get("price"), MoneyInput):
            given["price"] = given["price"].to_dict()
        return UpdateProduct.model_validate({"product_id": product_id, **given})


@strawberry.input(
    description="All conditions must hold. `search` is a literal, case-insensitive "
    "substring of name or SKU."
)
class ProductFilter:
    ids: list[strawberry.ID] | None = None
    skus: list[str] | None = None
    status: list[ProductStatus] | None = None  # type: ignore[valid-type]
    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def to_domain(self) -> models.ProductFilter:
        return models.ProductFilter(
            ids=None if self.ids is None else tuple(filter(None, map(parse_uuid, self.ids))),
            skus=None if self.skus is None else tuple(_skus(self.skus)),
            statuses=None if self.status is None else tuple(self.status),
            search=_search(self.search),
            min_price=_price_bound(self.min_price, "minPrice", math.ceil),
            max_price=_price_bound(self.max_price, "maxPrice", math.floor),
        )


def _skus(skus: list[str]) -> Iterator[str]:
    # A SKU no stored one can spell (not ASCII) matches nothing.
    for sku in skus:
        if (canonical := canonical_sku(lookup_text(sku, "skus"))) is not None:
            yield canonical


def _search(text: str | None) -> str | None:
    if not text:
        return None
    if len(text) > MAX_SEARCH:
        raise BadUserInput(f"`search` is longer than any name or SKU ({MAX_SEARCH} characters).")
    return lookup_text(text, "search")


def _price_bound(value: Decimal | None, name: str, rounding: Any) -> Decimal | None:
    """Clamp a price bound into the storable range, rounded to whole cents inward."""
    if value is None:
        return None
    if not value.is_finite():
        raise BadUserInput(f"`{name}` must be a finite number.")
    clamped = min(max(value, Decimal(-1)), MAX_AMOUNT + 1)
    return Decimal(rounding(clamped.scaleb(2))).scaleb(-2)
