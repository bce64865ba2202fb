"""Catalog commands (validated inputs of every change), their field rules, and the events
those changes raise."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AfterValidator, StringConstraints, field_validator
from subgraph_kit.core.commands import Command, StorableText
from subgraph_kit.core.events import DomainEvent

from app.domain.models import Money, Product, ProductStatus

SKU_PATTERN = r"[A-Z0-9][A-Z0-9._-]{0,63}"
MAX_AMOUNT = Decimal("9999999999.99")
CENT = Decimal("0.01")


def normalise_amount(value: Decimal) -> Decimal:
    """Refuse non-finite, negative, too large or sub-cent amounts; return it with 2 places."""
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must not be negative")
    if value > MAX_AMOUNT:
        raise ValueError(f"must not exceed {MAX_AMOUNT}")
    if decimal_places(value) > 2:
        raise ValueError("must have at most 2 decimal places")
    return value.quantize(CENT) + 0  # `+ 0` turns -0.00 into 0.00


def decimal_places(value: Decimal) -> int:
    """The decimal places `value` needs, counted exactly: trailing zeros do not count.

    Not `normalize()`: it rounds to the context's 28 digits first, so 1.999…9 with 30 nines
    would pass as 2.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    significant = len(digits)
    while exponent < 0 and significant and digits[significant - 1] == 0:
        significant -= 1
        exponent += 1
    return 0 if not any(digits[:significant]) else max(-exponent, 0)


def canonical_sku(text: str) -> str | None:
    """A SKU as it is stored and looked up: trimmed and upper-cased; None unless ASCII.

    The rule applies to what the client sent: `straße-1` upper-cases to `STRASSE-1`, which is
    not the SKU the client wrote.
    """
    return text.strip().upper() if text.isascii() else None


def normalise_sku(value: str) -> str:
    """Make a SKU canonical; refuse one outside the SKU alphabet."""
    sku = canonical_sku(value)
    if sku is None or not re.fullmatch(SKU_PATTERN, sku):
        raise ValueError(
            "must be 1-64 characters of A-Z, 0-9, '.', '_' or '-', starting with a letter or digit"
        )
    return sku


def normalise_currency(value: str) -> str:
    """Upper-case an ISO 4217 code; refuse anything but three letters."""
    code = value.strip().upper()
    if not value.isascii() or not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("must be a three-letter ISO 4217 code")
    return code


Sku = Annotated[str, AfterValidator(normalise_sku)]


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    StorableText,
]
Description = Annotated[str, StringConstraints(max_length=5000), StorableText]
Amount = Annotated[Decimal, AfterValidator(normalise_amount)]
CurrencyCode = Annotated[str, AfterValidator(normalise_currency)]


class MoneyInput(Command):
    amount: Amount
    currency_code: CurrencyCode

    def to_money(self) -> Money:
        return Money(self.amount, self.currency_code)


class CreateProduct(Command):
    sku: Sku
    name: Name
    description: Description | None = None
    price: MoneyInput
    status: ProductStatus = ProductStatus.ACTIVE


class UpdateProduct(Command):
    """A partial update: only the fields given are changed; `description=None` clears it."""

    product_id: UUID
    sku: Sku | None = None
    name: Name | None = None
    description: Description | None = None
    price: MoneyInput | None = None
    status: ProductStatus | None = None

    NOT_NULL: ClassVar[tuple[str, ...]] = ("sku", "name", "price", "status")

    @field_validator(*NOT_NULL)
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """Return the given fields as domain values, keyed by `Product` attribute."""
        given = self.model_fields_set - {"product_id"}
        values: dict[str, Any] = {name: getattr(self, name) for name in given}
        if "price" in values:
            values["price"] = values["price"].to_money()
        return values


class DeleteProduct(Command):
    product_id: UUID


class ProductCreated(DomainEvent):
    """A product was added to the catalog; the payload describes it."""


class ProductUpdated(DomainEvent):
    """A product changed; the payload describes it after the change and lists `changed` fields."""


class ProductDeleted(DomainEvent):
    """A product left the catalog; the payload keeps its id and SKU."""


def product_payload(product: Product) -> dict[str, Any]:
    """Describe `product` as a JSON-ready dict for event payloads."""
    return {
        "id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": {
            "amount": str(product.price.amount),
            "currencyCode": product.price.currency_code,
        },
        "status": product.status.value,
        "updatedAt": product.updated_at.isoformat(),
    }
