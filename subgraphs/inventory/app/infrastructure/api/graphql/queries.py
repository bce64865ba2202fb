"""Inventory queries. Reads never call the products subgraph."""

from __future__ import annotations

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.errors import BadUserInput, lookup_text
from subgraph_kit.graphql.pagination import (
    Connection,
    check_page_size,
    connection,
    encode_cursor,
)

from app.application import reads
from app.domain.models import LocationPage, StockLevelFilter, StockLevelPage
from app.infrastructure.api.graphql.inputs import StockFilter
from app.infrastructure.api.graphql.locations import Location
from app.infrastructure.api.graphql.pagination import decode_level_cursor, decode_location_cursor
from app.infrastructure.api.graphql.types import StockLevel


@strawberry.type
class Query:
    @strawberry.field(
        description="The level of a product at the DEFAULT location, or null if it was never "
        "stocked there."
    )
    async def stock_level(self, info: Info, product_id: strawberry.ID) -> StockLevel | None:
        level = await info.context.loaders.level_by_product.load(product_id)
        return StockLevel.from_domain(level) if level is not None else None

    @strawberry.field(
        description="A page of tracked levels ordered by product id, then location id; "
        "`first` is 1..100."
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
        levels, has_next = await info.context.run(reads.list_stock_levels, page)

        return connection(
            levels,
            node=StockLevel.from_domain,
            cursor=lambda level: encode_cursor(
                "level", str(level.product_id), str(level.location_id)
            ),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(reads.count_stock_levels, criteria),
        )

    @strawberry.field(description="Locations ordered by code; `first` is 1..100.")
    async def locations(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        include_inactive: bool = False,
    ) -> Connection[Location]:
        check_page_size(first)
        page = LocationPage(
            first=first,
            after=decode_location_cursor(after) if after is not None else None,
            include_inactive=include_inactive,
        )
        found, has_next = await info.context.run(reads.list_locations, page)

        return connection(
            found,
            node=Location.from_domain,
            cursor=lambda location: encode_cursor("location", location.code),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(reads.count_locations, include_inactive),
        )

    @strawberry.field(description="The location with this id or code (exactly one), or null.")
    async def location(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Location | None:
        if (id is None) == (code is None):
            raise BadUserInput("Give exactly one of `id` and `code`.")
        if id is not None:
            found = await info.context.loaders.location.load(id)
        else:
            wanted = [lookup_text(str(code), "code")]
            (found,) = await info.context.run(reads.find_locations_by_code, wanted)
        return None if found is None else Location.from_domain(found)
