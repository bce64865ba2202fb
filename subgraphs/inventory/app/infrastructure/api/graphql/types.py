"""GraphQL output types of the inventory's stock, built from domain objects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.loaders import load_all
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
    reserved: int = strawberry.field(
        description="The sum of the ACTIVE, unexpired reservations here."
    )
    available: int = strawberry.field(description="max(onHand - reserved, 0).")
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
            reserved=level.reserved,
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
    def product(self, info: Info) -> Product | None:
        return Product.reference(info, self.product_id)

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
    reserved: int
    available: int = strawberry.field(
        description="What can be sold anywhere: the sum of the levels' available."
    )
    low_stock: bool = strawberry.field(
        description="available <= the sum of the levels' reorder points; false when the "
        "product is stocked nowhere."
    )
    stock: strawberry.Private[models.ProductStock]

    @strawberry.field(description="One per active location that stocks the product.")
    def levels(self) -> list[StockLevel]:
        # A resolver, so that a page that asks only for the totals builds no level objects.
        return [StockLevel.from_domain(level) for level in self.stock.levels]

    @classmethod
    def from_domain(cls, stock: models.ProductStock) -> ProductInventory:
        return cls(
            on_hand=stock.on_hand,
            reserved=stock.reserved,
            available=stock.available,
            low_stock=stock.low_stock,
            stock=stock,
        )


class Later(Generic[T]):
    """A value to load only if a query awaits it: graphql-core awaits a field's awaitable value,
    and unlike a coroutine, one nobody awaits is no error."""

    def __init__(self, load: Callable[[], Awaitable[T]]) -> None:
        self.load = load

    def __await__(self) -> Generator[Any, None, T]:
        return self.load().__await__()


@strawberry.federation.type(keys=["id"])
class Product:
    # Plain fields, not resolvers: the fields of a thousand `_entities` cost no resolver calls.
    id: strawberry.ID
    stock: StockLevel = strawberry.field(
        description="The level at the DEFAULT location; zeros with tracked: false for a "
        "product never stocked there.",
        deprecation_reason="Only the DEFAULT location; use `inventory`, which totals all.",
    )
    in_stock: bool = strawberry.field(description="inventory.available > 0")
    totals: strawberry.Private[Callable[[], Any]]

    @strawberry.field(description="Totals over active locations, and their levels.")
    def inventory(self) -> ProductInventory:
        # A resolver, so that the `_entities` that ask only for `stock` build no totals.
        return self.totals()  # type: ignore[no-any-return]

    @classmethod
    def from_domain(cls, product_id: strawberry.ID, stock: models.ProductStock) -> Product:
        return cls(
            id=product_id,
            stock=StockLevel.from_domain(stock.default),
            in_stock=stock.in_stock,
            totals=lambda: ProductInventory.from_domain(stock),
        )

    @classmethod
    def reference(cls, info: Info, product_id: strawberry.ID) -> Product:
        """The product a level points at: its stock loads (batched) only if a field asks."""

        def later(pick: Callable[[models.ProductStock], T]) -> Any:
            async def load() -> T:
                stock = await info.context.loaders.product_stock.load(product_id)
                assert stock is not None  # the id came from a stored level, so is a UUID
                return pick(stock)

            return Later(load)

        return cls(
            id=product_id,
            stock=later(lambda stock: StockLevel.from_domain(stock.default)),
            in_stock=later(lambda stock: stock.in_stock),
            totals=lambda: later(ProductInventory.from_domain),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        stock = await info.context.loaders.product_stock.load(id)
        return None if stock is None else cls.from_domain(id, stock)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[Product | None]:
        """Resolve a whole `_entities` batch at once, through the same loader (one query)."""
        ids = [key["id"] for key in keys]
        found = await load_all(info.context.loaders.product_stock, ids)
        return [
            None if stock is None else cls.from_domain(product_id, stock)
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
