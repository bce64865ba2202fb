"""Catalog mutations: each returns a payload whose userErrors say why nothing was written."""

from __future__ import annotations

from uuid import UUID

import strawberry
from pydantic import ValidationError
from strawberry.types import Info
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.ids import require_uuid

from app.application import use_cases
from app.domain.errors import ProductNotFound
from app.domain.schemas import DeleteProduct
from app.infrastructure.api.graphql.inputs import CreateProductInput, UpdateProductInput
from app.infrastructure.api.graphql.types import (
    DeleteProductPayload,
    Product,
    ProductPayload,
    UserError,
    to_user_errors,
)


def refusals(error: DomainError | ValidationError) -> list[UserError]:  # type: ignore[valid-type]
    """userErrors under `input`, except those about the product id: the top-level `id`."""
    return to_user_errors(error, arguments={"id": "id", "productId": "id"})


def existing_id(id: strawberry.ID) -> UUID:
    """Parse a product id; one that is not a UUID names no product."""
    return require_uuid(id, ProductNotFound("No product has this id.", field=("id",)))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        try:
            product = await info.context.run(use_cases.create_product, input.to_command())
        except (DomainError, ValidationError) as error:
            return ProductPayload(
                product=None,
                user_errors=refusals(error),
            )
        return ProductPayload(product=Product.from_domain(product), user_errors=[])

    @strawberry.mutation(description="Change only the fields given in `input`.")
    async def update_product(
        self, info: Info, id: strawberry.ID, input: UpdateProductInput
    ) -> ProductPayload:
        try:
            product = await info.context.run(
                use_cases.update_product, input.to_command(existing_id(id))
            )
        except (DomainError, ValidationError) as error:
            return ProductPayload(
                product=None,
                user_errors=refusals(error),
            )
        return ProductPayload(product=Product.from_domain(product), user_errors=[])

    @strawberry.mutation
    async def delete_product(self, info: Info, id: strawberry.ID) -> DeleteProductPayload:
        try:
            command = DeleteProduct(product_id=existing_id(id))
            deleted = await info.context.run(use_cases.delete_product, command)
        except (DomainError, ValidationError) as error:
            return DeleteProductPayload(
                deleted_id=None,
                user_errors=refusals(error),
            )
        return DeleteProductPayload(deleted_id=strawberry.ID(str(deleted)), user_errors=[])
