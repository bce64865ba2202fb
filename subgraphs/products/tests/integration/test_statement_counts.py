"""Statement-count guards: what the router's calls and a page cost in SQL, whatever their size.

They count statements, not time, so they are fast and fail on any N+1 regression.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from subgraph_kit_testing.databases import insert_rows
from subgraph_kit_testing.http import entities

from app.infrastructure.db.models import ProductRow
from tests.integration.helpers import graphql

pytestmark = pytest.mark.anyio

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id sku name price { amount currencyCode } }
  }
}"""
PAGE = """
query ($after: String) {
  products(first: 100, after: $after) {
    nodes { id sku name price { amount currencyCode } } pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
def catalog(app) -> list[str]:
    """1,000 products, written straight to the table, one second apart."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "sku": f"G-{index:04d}",
            "name": f"Guard {index}",
            "description": None,
            "price_minor": 100 + index,
            "currency_code": "EUR",
            "status": "ACTIVE",
            "created_at": start + timedelta(seconds=index),
            "updated_at": start,
        }
        for index in range(1000)
    ]
    insert_rows(app.state.runtime.engine, ProductRow.__table__, rows)
    return [str(row["id"]) for row in rows]


@pytest.mark.parametrize("size", [1, 100, 1000])
async def test_entities_cost_one_select_whatever_their_number(client, catalog, statements, size):
    wanted = catalog[:size]
    statements.statements.clear()
    found = await entities(client, ENTITIES, wanted)
    assert [entity["id"] for entity in found] == wanted
    assert len(statements.statements) == 1
    assert len(statements.selects) == 1


async def test_a_page_after_a_cursor_costs_one_statement(client, catalog, statements):
    first = (await graphql(client, PAGE))["data"]["products"]
    statements.statements.clear()
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(client, PAGE, after=after))["data"]["products"]
    assert len(second["nodes"]) == 100
    assert second["pageInfo"]["hasNextPage"]
    assert len(statements.statements) == 1


async def test_a_deep_page_with_total_count_costs_two_statements(client, catalog, statements):
    query = (
        "query ($after: String) { products(first: 20, after: $after) { totalCount nodes { id } } }"
    )
    first = (await graphql(client, PAGE))["data"]["products"]
    statements.statements.clear()
    body = await graphql(client, query, after=first["pageInfo"]["endCursor"])
    assert body["data"]["products"]["totalCount"] == 1000
    assert len(statements.statements) == 2
