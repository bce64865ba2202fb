"""GraphQL output types of the catalog, built from domain objects, and its userError codes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info
from subgraph_kit.core.errors import InvalidInput
from subgraph_kit.graphql.errors import UserErrors, user_error_codes, user_error_type
from subgraph_kit.graphql.loaders import load_all
from subgraph_kit.graphql.pagination import Connection

from app.domain import models
from app.domain.errors import DuplicateSku, ProductNotFound

ProductStatus = strawberry.enum(models.ProductStatus)
ProductSort = strawberry.enum(models.ProductSort)


# Why a catalog mutation wrote nothing: the code of each of the catalog's domain errors.
UserErrorCode = user_error_codes(InvalidInput, ProductNotFound, DuplicateSku)
UserError = user_error_type(UserErrorCode)
to_user_errors = UserErrors(UserError, UserErrorCode)


@strawberry.type
class Money:
    amount: Decimal
    currency_code: str


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str | None
    price: Money
    status: ProductStatus  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, product: models.Product) -> Product:
        return cls(
            id=strawberry.ID(str(product.id)),
            sku=product.sku,
            name=product.name,
            description=product.description,
            price=Money(amount=product.price.amount, currency_code=product.price.currency_code),
            status=product.status,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        return await info.context.loaders.product_by_id.load(id)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[Product | None]:
        """Resolve a whole `_entities` batch at once, through the same loader (one query)."""
        return await load_all(info.context.loaders.product_by_id, [key["id"] for key in keys])


ProductConnection = Connection[Product]


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]  # type: ignore[valid-type]


@strawberry.type
class DeleteProductPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]  # type: ignore[valid-type]
