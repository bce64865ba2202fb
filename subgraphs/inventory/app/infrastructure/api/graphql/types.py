"""GraphQL output types of the inventory, built from domain objects, and its userError codes."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info
from subgraph_kit.core.errors import InvalidInput
from subgraph_kit.graphql.errors import UserErrors, user_error_codes, user_error_type
from subgraph_kit.graphql.pagination import (
    Connection,
    check_page_size,
    connection,
    encode_cursor,
)

from app.application.use_cases import count_movements
from app.domain import models
from app.domain.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    ProductNotFound,
    ProductsUnavailable,
    VersionConflict,
)
from app.infrastructure.api.graphql.pagination import decode_movement_cursor

StockChangeReason = strawberry.enum(models.StockChangeReason)


# Why a stock mutation wrote nothing: the code of each of the inventory's domain errors.
UserErrorCode = user_error_codes(
    InvalidInput,
    ProductNotFound,
    InsufficientStock,
    VersionConflict,
    IdempotencyKeyReused,
    ProductsUnavailable,
)
UserError = user_error_type(UserErrorCode)
to_user_errors = UserErrors(UserError, UserErrorCode)


@strawberry.type
class StockMovement:
    id: strawberry.ID
    delta: int
    on_hand_after: int
    reason: StockChangeReason  # type: ignore[valid-type]
    reference: str | None
    created_at: datetime

    @classmethod
    def from_domain(cls, movement: models.StockMovement) -> StockMovement:
        return cls(
            id=strawberry.ID(str(movement.id)),
            delta=movement.delta,
            on_hand_after=movement.on_hand_after,
            reason=movement.reason,
            reference=movement.reference,
            created_at=movement.created_at,
        )


@strawberry.type
class StockLevel:
    product_id: strawberry.ID
    on_hand: int
    available: int = strawberry.field(
        description="What can be sold: equal to onHand until reservations exist."
    )
    reorder_point: int
    low_stock: bool = strawberry.field(
        description="available <= reorderPoint, for a tracked level."
    )
    tracked: bool = strawberry.field(description="False for a product never stocked (all zeros).")
    version: int = strawberry.field(
        description="Increases with every change; pass it to setStock's expectedVersion."
    )
    updated_at: datetime | None
    level: strawberry.Private[models.StockLevel]

    @classmethod
    def from_domain(cls, level: models.StockLevel) -> StockLevel:
        return cls(
            product_id=strawberry.ID(str(level.product_id)),
            on_hand=level.on_hand,
            available=level.available,
            reorder_point=level.reorder_point,
            low_stock=level.low_stock,
            tracked=level.tracked,
            version=level.version,
            updated_at=level.updated_at,
            level=level,
        )

    @strawberry.field(description="The product counted; the router fetches its other fields.")
    def product(self) -> Product:
        return Product.from_domain(self.level)

    @strawberry.field(description="The changes of on hand, newest first; `first` is 1..100.")
    async def movements(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[StockMovement]:
        check_page_size(first)
        product_id = self.level.product_id
        before = decode_movement_cursor(after) if after is not None else None
        rows, has_next = await info.context.loaders.movements.load((product_id, first, before))

        return connection(
            rows,
            node=StockMovement.from_domain,
            cursor=lambda row: encode_cursor("movement", row.position),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(count_movements, product_id),
        )


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    stock: StockLevel = strawberry.field(
        description="Zeros with tracked: false for a product never stocked."
    )
    in_stock: bool = strawberry.field(description="available > 0")

    @classmethod
    def from_domain(cls, level: models.StockLevel) -> Product:
        stock = StockLevel.from_domain(level)
        return cls(id=stock.product_id, stock=stock, in_stock=level.in_stock)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        level = await info.context.loaders.stock_by_product.load(id)
        return None if level is None else cls.from_domain(level)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[Product | None]:
        """Resolve a whole `_entities` batch at once, through the same loader (one query)."""
        loader = info.context.loaders.stock_by_product
        levels = await loader.load_many([key["id"] for key in keys])
        return [None if level is None else cls.from_domain(level) for level in levels]


@strawberry.type
class StockPayload:
    stock_level: StockLevel | None
    user_errors: list[UserError]  # type: ignore[valid-type]
