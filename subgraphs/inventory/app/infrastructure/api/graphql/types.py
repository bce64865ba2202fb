"""GraphQL output types of the inventory's stock, built from domain objects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.pagination import (
    Connection,
    check_page_size,
    connection,
    encode_cursor,
)

from app.application.reads import count_movements
from app.domain import models
from app.infrastructure.api.graphql.locations import Location
from app.infrastructure.api.graphql.pagination import decode_movement_cursor
from app.infrastructure.api.graphql.user_errors import UserError

StockChangeReason = strawberry.enum(models.StockChangeReason)

T = TypeVar("T")


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


@strawberry.type(description="One product at one location.")
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
    tracked: bool = strawberry.field(
        description="False for a product never stocked at this location (all zeros)."
    )
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

    @strawberry.field(
        description="The product counted; the router fetches its other fields. Nullable so "
        "that a product the catalog no longer has leaves the level readable."
    )
    def product(self) -> Product | None:
        return Product(id=self.product_id)

    @strawberry.field(description="Where the stock is.")
    async def location(self, info: Info) -> Location:
        found = await info.context.loaders.location.load(str(self.level.location_id))
        assert found is not None  # a level's location is a foreign key
        return Location.from_domain(found)

    @strawberry.field(description="The changes of on hand, newest first; `first` is 1..100.")
    async def movements(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[StockMovement]:
        check_page_size(first)
        key = (self.level.product_id, self.level.location_id)
        before = decode_movement_cursor(after) if after is not None else None
        rows, has_next = await info.context.loaders.movements.load((*key, first, before))

        return connection(
            rows,
            node=StockMovement.from_domain,
            cursor=lambda row: encode_cursor("movement", row.position),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(count_movements, key),
        )


@strawberry.type(description="A product's stock over its active locations.")
class ProductInventory:
    on_hand: int
    available: int = strawberry.field(
        description="What can be sold anywhere: equal to onHand until reservations exist."
    )
    low_stock: bool = strawberry.field(
        description="available <= the sum of the levels' reorder points; false when the "
        "product is stocked nowhere."
    )
    levels: list[StockLevel] = strawberry.field(
        description="One per active location that stocks the product."
    )

    @classmethod
    def from_domain(cls, stock: models.ProductStock) -> ProductInventory:
        return cls(
            on_hand=stock.on_hand,
            available=stock.available,
            low_stock=stock.low_stock,
            levels=[StockLevel.from_domain(level) for level in stock.levels],
        )


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    # Resolved `_entities` arrive with their stock; a product a level points at loads it only
    # if a stock field is asked for (the router asks for none of them).
    known: strawberry.Private[models.ProductStock | None] = None

    @strawberry.field(
        description="The level at the DEFAULT location; zeros with tracked: false for a "
        "product never stocked there.",
        deprecation_reason="Only the DEFAULT location; use `inventory`, which totals all.",
    )
    def stock(self, info: Info) -> StockLevel:
        return self._from_stock(info, lambda stock: StockLevel.from_domain(stock.default))  # type: ignore[return-value]

    @strawberry.field(description="inventory.available > 0")
    def in_stock(self, info: Info) -> bool:
        return self._from_stock(info, lambda stock: stock.in_stock)  # type: ignore[return-value]

    @strawberry.field(description="Totals over active locations, and their levels.")
    def inventory(self, info: Info) -> ProductInventory:
        return self._from_stock(info, ProductInventory.from_domain)  # type: ignore[return-value]

    def _from_stock(self, info: Info, pick: Callable[[models.ProductStock], T]) -> T | Awaitable[T]:
        # Plain values when the stock is known, so that the fields of a thousand entities
        # cost no coroutines; graphql-core awaits what a resolver returns otherwise.
        if self.known is not None:
            return pick(self.known)

        async def load() -> T:
            self.known = await info.context.loaders.product_stock.load(self.id)
            assert self.known is not None  # the id came from a stored level, so is a UUID
            return pick(self.known)

        return load()

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        stock = await info.context.loaders.product_stock.load(id)
        return None if stock is None else cls(id=id, known=stock)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[Product | None]:
        """Resolve a whole `_entities` batch at once, through the same loader (one query)."""
        ids = [key["id"] for key in keys]
        found = await info.context.loaders.product_stock.load_many(ids)
        return [
            None if stock is None else cls(id=product_id, known=stock)
            for product_id, stock in zip(ids, found, strict=True)
        ]


@strawberry.type
class StockPayload:
    stock_level: StockLevel | None
    user_errors: list[UserError]  # type: ignore[valid-type]


@strawberry.type
class TransferPayload:
    from_: StockLevel | None = strawberry.field(name="from", description="The source's level.")
    to: StockLevel | None = strawberry.field(description="The destination's level.")
    user_errors: list[UserError]  # type: ignore[valid-type]
