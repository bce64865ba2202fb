"""Catalog queries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.errors import BadUserInput, lookup_text
from subgraph_kit.graphql.pagination import check_page_size, connection, encode_cursor

from app.application import use_cases
from app.domain import models
from app.infrastructure.api.graphql.inputs import ProductFilter
from app.infrastructure.api.graphql.pagination import decode_position, encode_position
from app.infrastructure.api.graphql.types import Product, ProductConnection, ProductSort


@strawberry.type
class Query:
    @strawberry.field(description="The product with this id or SKU (exactly one), or null.")
    async def product(
        self, info: Info, id: strawberry.ID | None = None, sku: str | None = None
    ) -> Product | None:
        if (id is None) == (sku is None):
            raise BadUserInput("Pass exactly one of `id` or `sku`.")
        if id is not None:
            return await info.context.loaders.product_by_id.load(id)
        found = await info.context.run(use_cases.get_product_by_sku, lookup_text(sku, "sku"))
        return Product.from_domain(found) if found else None

    @strawberry.field(description="A page of products; `first` is 1..100.")
    async def products(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ProductFilter | None = None,
        sort: ProductSort = models.ProductSort.CREATED_AT_DESC,  # type: ignore[valid-type]
    ) -> ProductConnection:
        check_page_size(first)
        position = decode_position(after, sort) if after is not None else None
        criteria = filter.to_domain() if filter else models.ProductFilter()
        request = models.ProductPage(filter=criteria, sort=sort, first=first, after=position)
        page, has_next = await info.context.run(use_cases.list_products, request)

        return connection(
            page,
            node=Product.from_domain,
            cursor=lambda product: encode_cursor(*encode_position(product, sort)),
            has_next=has_next,
            after=after,
            count=lambda: info.context.run(use_cases.count_products, criteria),
        )
