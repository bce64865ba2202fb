"""GraphQL output types of the catalog, built from domain objects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry
from strawberry.types import Info

from app.domain import models
from app.infrastructure.api.graphql.errors import UserError

ProductStatus = strawberry.enum(models.ProductStatus)
ProductSort = strawberry.enum(models.ProductSort)

NodeT = TypeVar("NodeT")


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


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Matching items in all pages; costs one COUNT query.")
    async def total_count(self) -> int:
        return await self.count()


ProductConnection = Connection[Product]


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class DeleteProductPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]
