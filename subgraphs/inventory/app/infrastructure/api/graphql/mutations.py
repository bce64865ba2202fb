"""Inventory mutations: each checks the product with products first, then writes atomically."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import strawberry
from pydantic import ValidationError
from strawberry.types import Info
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.ids import require_uuid

from app.application import use_cases
from app.domain import models
from app.domain.errors import ProductNotFound
from app.domain.schemas import SetReorderPoint
from app.infrastructure.api.graphql.inputs import AdjustStockInput, SetStockInput
from app.infrastructure.api.graphql.types import StockLevel, StockPayload, to_user_errors


def known_id(product_id: strawberry.ID) -> UUID:
    """Parse a product id; one that is not a UUID names no product."""
    return require_uuid(
        product_id, ProductNotFound("No product has this id.", field=("productId",))
    )


async def payload(
    write: Callable[[], Awaitable[models.StockLevel]], prefix: tuple[str, ...] = ("input",)
) -> StockPayload:
    """Run a write; a broken rule or refused input becomes userErrors, with nothing written."""
    try:
        level = await write()
    except (DomainError, ValidationError) as error:
        return StockPayload(stock_level=None, user_errors=to_user_errors(error, prefix=prefix))
    return StockPayload(stock_level=StockLevel.from_domain(level), user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add or remove stock; INSUFFICIENT_STOCK if it would go below 0."
    )
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockPayload:
        async def write() -> models.StockLevel:
            command = input.to_command(known_id(input.product_id))
            return await info.context.run(
                use_cases.adjust_stock, command, catalog=info.context.catalog
            )

        return await payload(write)

    @strawberry.mutation(description="Set on hand to a counted value.")
    async def set_stock(self, info: Info, input: SetStockInput) -> StockPayload:
        async def write() -> models.StockLevel:
            command = input.to_command(known_id(input.product_id))
            return await info.context.run(
                use_cases.set_stock, command, catalog=info.context.catalog
            )

        return await payload(write)

    @strawberry.mutation(description="Set the level at or below which the product is low on stock.")
    async def set_reorder_point(
        self, info: Info, product_id: strawberry.ID, reorder_point: int
    ) -> StockPayload:
        async def write() -> models.StockLevel:
            command = SetReorderPoint(product_id=known_id(product_id), reorder_point=reorder_point)
            return await info.context.run(
                use_cases.set_reorder_point, command, catalog=info.context.catalog
            )

        return await payload(write, prefix=())
