"""The GraphQL schema executed in-process against fake repositories."""

from typing import Any

import pytest

from app.infrastructure.api.dependencies import GraphQLContext
from app.infrastructure.api.graphql.schema import schema
from tests.unit.fakes import FakeUnitOfWork

pytestmark = pytest.mark.anyio

CREATE = """
mutation ($input: CreateProductInput!) {
  createProduct(input: $input) {
    product { id sku price { amount currencyCode } }
    userErrors { field message code }
  }
}"""


def context(uow: FakeUnitOfWork) -> GraphQLContext:
    async def run(use_case: Any, /, *args: Any, **kwargs: Any) -> Any:
        return use_case(*args, uow=uow, **kwargs)

    return GraphQLContext(run)


async def execute(query: str, uow: FakeUnitOfWork | None = None, **variables: Any) -> Any:
    return await schema.execute(
        query, variable_values=variables, context_value=context(uow or FakeUnitOfWork())
    )


def product_input(**fields: Any) -> dict[str, Any]:
    return {
        "sku": "ab-1",
        "name": "Widget",
        "price": {"amount": "19.990", "currencyCode": "EUR"},
    } | fields


async def test_create_product_returns_the_normalised_product():
    result = await execute(CREATE, input=product_input())
    payload = result.data["createProduct"]
    assert payload["userErrors"] == []
    assert payload["product"]["sku"] == "AB-1"
    assert payload["product"]["price"] == {"amount": "19.99", "currencyCode": "EUR"}


async def test_invalid_input_is_a_user_error_with_the_field_path():
    result = await execute(
        CREATE, input=product_input(price={"amount": "12.345", "currencyCode": "EUR"})
    )
    assert result.data["createProduct"] == {
        "product": None,
        "userErrors": [
            {
                "field": ["input", "price", "amount"],
                "message": "must have at most 2 decimal places",
                "code": "INVALID_INPUT",
            }
        ],
    }


async def test_duplicate_sku_is_a_user_error():
    uow = FakeUnitOfWork()
    await execute(CREATE, uow, input=product_input())
    result = await execute(CREATE, uow, input=product_input(sku="AB-1"))
    assert result.data["createProduct"]["userErrors"][0]["code"] == "DUPLICATE_SKU"
    assert result.data["createProduct"]["userErrors"][0]["field"] == ["input", "sku"]


async def test_update_with_a_non_uuid_id_is_not_found():
    result = await execute(
        'mutation { updateProduct(id: "nope", input: {name: "x"}) { userErrors { field code } } }'
    )
    assert result.data["updateProduct"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]


@pytest.mark.parametrize("arguments", ["", '(id: "a", sku: "b")'])
async def test_product_needs_exactly_one_argument(arguments: str):
    result = await execute(f"{{ product{arguments} {{ id }} }}")
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_product_with_a_non_uuid_id_is_null():
    result = await execute('{ product(id: "not-a-uuid") { id } }')
    assert result.errors is None
    assert result.data == {"product": None}


@pytest.mark.parametrize("first", [0, 101])
async def test_page_size_outside_one_to_a_hundred_is_refused(first: int):
    result = await execute(f"{{ products(first: {first}) {{ totalCount }} }}")
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_garbage_cursor_is_refused():
    result = await execute('{ products(after: "garbage") { totalCount } }')
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
