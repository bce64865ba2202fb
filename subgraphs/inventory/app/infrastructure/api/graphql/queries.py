"""Inventory queries. Reads never call the products subgraph."""

from __future__ import annotations

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.pagination import (
    Connection,
    check_page_size,
    connection,
    encode_cursor,
)

from app.application import use_cases
from app.domain.models import StockLevelFilter, StockLevelPage
from app.infrastructure.api.graphql.inputs import StockFilter
from app.infrastructure.api.graphql.pagination import decode_level_cursor
from app.infrastructure.api.graphql.types import StockLevel


@strawberry.type
class Query:
    @strawberry.field(description="The level of a product, or null if it was never stocked.")
    async def stock_level(self, info: Info, product_id: strawberry.ID) -> StockLevel | None:
        level = await info.context.loaders.level_by_product.load(product_id)
        return StockLevel.from_domain(level) if level is not None else None

    @strawberry.field(
        description="A page of tracked levels ordered by product id; `first` is 1..100."
    )
    async def stock_levels(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: StockFilter | None = None,
    ) -> Connection[StockLevel]:
        check_page_size(first)
        criteria = filter.to_domain() if filter else StockLevelFilter()
        page = StockLevelPage(
            criteria, first=first, after=decode_level_cursor(after) if after is not None else None
        )
        levels, has_next = await info.context.run(use_cases.list_stock_levels, page)

        return connection(
            levels,
            node=StockLevel.from_domain,
            cursor=lambda level: encode_cursor("level", str(level.product_id)),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(use_cases.count_stock_levels, criteria),
        )
