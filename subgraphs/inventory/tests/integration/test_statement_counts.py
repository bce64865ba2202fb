"""Statement-count guards: what the router's calls and a page cost in SQL, whatever their size.

They count statements, not time, so they are fast and fail on any N+1 regression.
"""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.infrastructure.db.models import StockLevelRow
from tests.integration.helpers import graphql

pytestmark = pytest.mark.anyio

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { stock { onHand available lowStock } inStock }
  }
}"""
PAGE = """
query ($after: String) {
  stockLevels(first: 100, after: $after) {
    nodes { productId onHand lowStock } pageInfo { hasNextPage endCursor }
  }
}"""
PAGE_WITH_TOTAL = "{ stockLevels(first: 100) { totalCount nodes { productId } } }"


@pytest.fixture
def stocked(app) -> list[str]:
    """1,000 tracked levels, written straight to the table (every fifth one low on stock)."""
    now = datetime.now(UTC)
    rows = [
        {
            "product_id": uuid.uuid4(),
            "on_hand": 3 if index % 5 == 0 else 40,
            "reorder_point": 5,
            "version": 1,
            "updated_at": now,
        }
        for index in range(1000)
    ]
    with app.state.runtime.engine.begin() as connection:
        connection.execute(sa.insert(StockLevelRow.__table__), rows)
    return [str(row["product_id"]) for row in rows]


@pytest.mark.parametrize("size", [1, 100, 1000])
async def test_entities_cost_one_select_whatever_their_number(client, stocked, statements, size):
    wanted = stocked[:size]
    representations = [{"__typename": "Product", "id": product_id} for product_id in wanted]
    statements.statements.clear()
    body = await graphql(client, ENTITIES, representations=representations)
    entities = body["data"]["_entities"]
    assert len(entities) == size
    assert all(entity["stock"]["onHand"] in (3, 40) for entity in entities)
    assert len(statements.statements) == 1
    assert len(statements.selects) == 1


async def test_entities_of_products_never_stocked_cost_one_select_too(client, stocked, statements):
    wanted = [*stocked[:500], *(str(uuid.uuid4()) for _ in range(500))]
    representations = [{"__typename": "Product", "id": product_id} for product_id in wanted]
    statements.statements.clear()
    body = await graphql(client, ENTITIES, representations=representations)
    assert sum(entity["inStock"] for entity in body["data"]["_entities"]) == 500
    assert len(statements.selects) == len(statements.statements) == 1


async def test_a_stock_levels_page_costs_one_statement_without_total_count(
    client, stocked, statements
):
    statements.statements.clear()
    first = (await graphql(client, PAGE))["data"]["stockLevels"]
    assert len(first["nodes"]) == 100
    assert len(statements.statements) == 1
    statements.statements.clear()
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(client, PAGE, after=after))["data"]["stockLevels"]
    assert len(second["nodes"]) == 100
    assert len(statements.statements) == 1


async def test_a_stock_levels_page_with_total_count_costs_two_statements(
    client, stocked, statements
):
    statements.statements.clear()
    body = await graphql(client, PAGE_WITH_TOTAL)
    assert body["data"]["stockLevels"]["totalCount"] == 1000
    assert len(statements.statements) == 2
    assert len(statements.selects) == 2
