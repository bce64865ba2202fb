"""Inventory mutations: stock writes check the product with products first, then write
atomically; location writes need no catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry
from pydantic import ValidationError
from strawberry.types import Info
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.ids import require_uuid

from app.application import locations, use_cases
from app.domain import models
from app.domain import use_cases as rules
from app.domain.errors import ProductNotFound
from app.domain.schemas import DeactivateLocation, SetReorderPoint
from app.infrastructure.api.graphql.inputs import (
    AdjustStockInput,
    CreateLocationInput,
    SetStockInput,
    TransferStockInput,
)
from app.infrastructure.api.graphql.locations import Location, LocationPayload
from app.infrastructure.api.graphql.types import StockLevel, StockPayload, TransferPayload
from app.infrastructure.api.graphql.user_errors import to_user_errors


def known_id(product_id: strawberry.ID) -> UUID:
    """Parse a product id; one that is not a UUID names no product."""
    return require_uuid(
        product_id, ProductNotFound("No product has this id.", field=("productId",))
    )


def parse_location_id(value: strawberry.ID | None, *, field: str = "locationId") -> UUID:
    """Parse a location id (absent: DEFAULT); one that is not a UUID names no location."""
    if value is None:
        return models.DEFAULT_LOCATION_ID
    return require_uuid(value, rules.location_not_found(field=field))


async def user_errors_of(
    write: Callable[[], Awaitable[Any]], prefix: tuple[str, ...]
) -> tuple[Any, list[Any]]:
    """Run a write; a broken rule or refused input becomes userErrors, with nothing written."""
    try:
        return await write(), []
    except (DomainError, ValidationError) as error:
        return None, to_user_errors(error, prefix=prefix)


async def payload(
    write: Callable[[], Awaitable[models.StockLevel]], prefix: tuple[str, ...] = ("input",)
) -> StockPayload:
    """Run a stock write and answer the level it left."""
    level, errors = await user_errors_of(write, prefix)
    return StockPayload(stock_level=level and StockLevel.from_domain(level), user_errors=errors)


async def location_payload(
    write: Callable[[], Awaitable[models.Location]], prefix: tuple[str, ...]
) -> LocationPayload:
    """Run a location write and answer the location it left."""
    location, errors = await user_errors_of(write, prefix)
    return LocationPayload(location=location and Location.from_domain(location), user_errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add or remove stock at a location; INSUFFICIENT_STOCK if it would go below 0."
    )
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockPayload:
        async def write() -> models.StockLevel:
            command = input.to_command(
                known_id(input.product_id), parse_location_id(input.location_id)
            )
            return await info.context.run(
                use_cases.adjust_stock, command, catalog=info.context.catalog
            )

        return await payload(write)

    @strawberry.mutation(description="Set on hand at a location to a counted value.")
    async def set_stock(self, info: Info, input: SetStockInput) -> StockPayload:
        async def write() -> models.StockLevel:
            command = input.to_command(
                known_id(input.product_id), parse_location_id(input.location_id)
            )
            return await info.context.run(
                use_cases.set_stock, command, catalog=info.context.catalog
            )

        return await payload(write)

    @strawberry.mutation(description="Set the level at or below which the product is low on stock.")
    async def set_reorder_point(
        self,
        info: Info,
        product_id: strawberry.ID,
        reorder_point: int,
        location_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Absent: the DEFAULT location.")
        ] = None,
    ) -> StockPayload:
        async def write() -> models.StockLevel:
            command = SetReorderPoint(
                product_id=known_id(product_id),
                reorder_point=reorder_point,
                location_id=parse_location_id(location_id),
            )
            return await info.context.run(
                use_cases.set_reorder_point, command, catalog=info.context.catalog
            )

        return await payload(write, prefix=())

    @strawberry.mutation(
        description="Move stock between two locations, atomically; INSUFFICIENT_STOCK if the "
        "source has less."
    )
    async def transfer_stock(self, info: Info, input: TransferStockInput) -> TransferPayload:
        async def write() -> tuple[models.StockLevel, models.StockLevel]:
            command = input.to_command(
                known_id(input.product_id),
                parse_location_id(input.from_location_id, field="fromLocationId"),
                parse_location_id(input.to_location_id, field="toLocationId"),
            )
            return await info.context.run(
                use_cases.transfer_stock, command, catalog=info.context.catalog
            )

        moved, errors = await user_errors_of(write, ("input",))
        if moved is None:
            return TransferPayload(from_=None, to=None, user_errors=errors)
        source, destination = moved
        return TransferPayload(
            from_=StockLevel.from_domain(source),
            to=StockLevel.from_domain(destination),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Open a location; DUPLICATE_LOCATION_CODE if the code is taken."
    )
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        async def write() -> models.Location:
            return await info.context.run(locations.create_location, input.to_command())

        return await location_payload(write, ("input",))

    @strawberry.mutation(
        description="Close a location; LOCATION_NOT_EMPTY while it holds stock. Closing a "
        "closed one changes nothing."
    )
    async def deactivate_location(self, info: Info, id: strawberry.ID) -> LocationPayload:
        async def write() -> models.Location:
            command = DeactivateLocation(location_id=parse_location_id(id, field="id"))
            return await info.context.run(locations.deactivate_location, command)

        return await location_payload(write, ())
