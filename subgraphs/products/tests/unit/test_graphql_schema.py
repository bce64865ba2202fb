"""The GraphQL schema executed in-process against fake repositories."""

from typing import Any

import pytest
from graphql import parse, validate
from strawberry.extensions.validation_cache import _get_validate_cache
from subgraph_kit.graphql import LIMIT_RULES, MAX_REPRESENTATIONS

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


async def test_unexpected_exceptions_are_masked():
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to postgresql://user:pw@db failed")

    result = await schema.execute(
        "{ products { totalCount } }", context_value=GraphQLContext(broken)
    )
    error = result.errors[0]
    assert error.message == "Internal server error."
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert "postgresql" not in str(result.errors)


def test_queries_deeper_than_twelve_are_rejected():
    # The catalog has no recursive type, so the depth rule is checked on a synthetic document.
    # Depth counts from 0 at the top-level field, as Strawberry's limiter does.
    deep = "{ " + " { ".join(f"f{level}" for level in range(14)) + " }" * 14
    errors = validate(schema._schema, parse(deep), LIMIT_RULES)
    assert any("exceeds maximum operation depth of 12" in error.message for error in errors)
    shallow = "{ " + " { ".join(f"f{level}" for level in range(13)) + " }" * 13
    errors = validate(schema._schema, parse(shallow), LIMIT_RULES)
    assert not any("depth" in error.message for error in errors)


async def test_more_than_thirty_aliases_are_rejected():
    aliases = " ".join(f"a{i}: __typename" for i in range(31))
    result = await execute(f"{{ {aliases} }}")
    assert result.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_token_floods_are_rejected():
    result = await execute("{ " + "__typename " * 3001 + "}")
    assert result.errors[0].extensions["code"] == "GRAPHQL_PARSE_FAILED"


async def test_syntax_errors_have_a_parse_code():
    result = await execute("{ product(")
    assert result.errors[0].extensions["code"] == "GRAPHQL_PARSE_FAILED"


async def test_more_than_a_thousand_representations_are_refused():
    representations = [
        {"__typename": "Product", "id": str(i)} for i in range(MAX_REPRESENTATIONS + 1)
    ]
    result = await execute(
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }", r=representations
    )
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_validation_results_are_cached_across_requests():
    cache = _get_validate_cache(128)
    query = "{ products(first: 3) { nodes { id name } } }"
    await execute(query)
    hits = cache.cache_info().hits
    await execute(query)
    assert cache.cache_info().hits == hits + 1
