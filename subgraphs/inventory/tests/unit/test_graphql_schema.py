"""The GraphQL schema executed in-process against fakes."""

from typing import Any
from uuid import uuid4

import pytest

from app.infrastructure.api.dependencies import GraphQLContext
from app.infrastructure.api.graphql.schema import schema
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork

pytestmark = pytest.mark.anyio

ADJUST = """
mutation ($input: AdjustStockInput!) {
  adjustStock(input: $input) {
    stockLevel { productId onHand available version tracked product { id inStock } }
    userErrors { field message code }
  }
}"""


def context(uow: FakeUnitOfWork, catalog: FakeCatalog) -> GraphQLContext:
    async def run(use_case: Any, /, *args: Any, **ports: Any) -> Any:
        return use_case(*args, uow=uow, **ports)

    return GraphQLContext(run, catalog)


async def execute(query: str, uow=None, catalog=None, **variables: Any) -> Any:
    ctx = context(uow or FakeUnitOfWork(), catalog or FakeCatalog())
    return await schema.execute(query, variable_values=variables, context_value=ctx)


async def test_adjust_stock_returns_the_new_level():
    product = uuid4()
    result = await execute(
        ADJUST,
        catalog=FakeCatalog(product),
        input={"productId": str(product), "delta": 4, "reason": "RECEIVED"},
    )
    payload = result.data["adjustStock"]
    assert payload["userErrors"] == []
    assert payload["stockLevel"] == {
        "productId": str(product),
        "onHand": 4,
        "available": 4,
        "version": 1,
        "tracked": True,
        "product": {"id": str(product), "inStock": True},
    }


@pytest.mark.parametrize(
    ("catalog", "code"),
    [(FakeCatalog(), "PRODUCT_NOT_FOUND"), (FakeCatalog(down=True), "PRODUCTS_UNAVAILABLE")],
)
async def test_catalog_answers_become_user_errors(catalog, code):
    result = await execute(
        ADJUST, catalog=catalog, input={"productId": str(uuid4()), "delta": 1, "reason": "RECEIVED"}
    )
    assert result.data["adjustStock"]["userErrors"][0]["code"] == code
    assert result.data["adjustStock"]["userErrors"][0]["field"] == ["input", "productId"]


async def test_a_non_uuid_product_id_is_product_not_found():
    result = await execute(ADJUST, input={"productId": "nope", "delta": 1, "reason": "SOLD"})
    assert result.data["adjustStock"]["userErrors"][0]["code"] == "PRODUCT_NOT_FOUND"


async def test_invalid_delta_is_invalid_input_with_its_path():
    result = await execute(
        ADJUST,
        catalog=FakeCatalog(p := uuid4()),
        input={"productId": str(p), "delta": 0, "reason": "SOLD"},
    )
    assert result.data["adjustStock"]["userErrors"] == [
        {"field": ["input", "delta"], "message": "must not be 0", "code": "INVALID_INPUT"}
    ]


async def test_entities_report_untracked_zeros_for_never_stocked_products():
    product = str(uuid4())
    result = await execute(
        "query ($r: [_Any!]!) { _entities(representations: $r) { "
        "... on Product { id inStock stock { onHand tracked lowStock } } } }",
        r=[{"__typename": "Product", "id": product}],
    )
    assert result.data["_entities"] == [
        {
            "id": product,
            "inStock": False,
            "stock": {"onHand": 0, "tracked": False, "lowStock": False},
        }
    ]


async def test_stock_level_is_null_for_a_product_never_stocked():
    result = await execute(
        "query ($id: ID!) { stockLevel(productId: $id) { onHand } }", id=str(uuid4())
    )
    assert result.data == {"stockLevel": None}


async def test_stock_level_is_reported_once_the_product_is_stocked():
    product, uow = uuid4(), FakeUnitOfWork()
    catalog = FakeCatalog(product)
    adjust = {"productId": str(product), "delta": 2, "reason": "RECEIVED"}
    await execute(ADJUST, uow=uow, catalog=catalog, input=adjust)
    result = await execute(
        "query ($id: ID!) { stockLevel(productId: $id) { onHand tracked product { inStock } } }",
        uow=uow,
        id=str(product),
    )
    assert result.data == {
        "stockLevel": {"onHand": 2, "tracked": True, "product": {"inStock": True}}
    }
