"""Keyset pagination: complete, ordered walks and a bounded statement count."""

import pytest
import sqlalchemy as sa

from tests.integration.helpers import graphql

pytestmark = pytest.mark.anyio

PAGE = """
query ($after: String, $sort: ProductSort!) {
  products(first: 100, after: $after, sort: $sort) {
    edges { cursor node { id sku name price { amount } createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
def seeded(app) -> None:
    """250 products with repeated names and prices, so ties must be broken by id."""
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": uuid4(),
            "sku": f"P-{index:04d}",
            "name": f"Product {index % 7}",
            "description": None,
            "price_minor": (index % 13) * 100,
            "currency_code": "EUR",
            "status": "ACTIVE",
            "created_at": start + timedelta(seconds=index // 3),
            "updated_at": start,
        }
        for index in range(250)
    ]
    from app.infrastructure.db.models import ProductRow

    with app.state.runtime.engine.begin() as connection:
        connection.execute(sa.insert(ProductRow.__table__), rows)


SORT_KEYS = {
    "CREATED_AT_ASC": (lambda n: n["createdAt"], False),
    "CREATED_AT_DESC": (lambda n: n["createdAt"], True),
    "NAME_ASC": (lambda n: n["name"], False),
    "NAME_DESC": (lambda n: n["name"], True),
    "PRICE_ASC": (lambda n: float(n["price"]["amount"]), False),
    "PRICE_DESC": (lambda n: float(n["price"]["amount"]), True),
    "SKU_ASC": (lambda n: n["sku"], False),
}


@pytest.mark.parametrize("sort", list(SORT_KEYS))
async def test_pages_of_a_hundred_walk_every_product_once_in_order(client, seeded, sort):
    seen, after, pages = [], None, 0
    while True:
        body = await graphql(client, PAGE, after=after, sort=sort)
        connection = body["data"]["products"]
        seen.extend(edge["node"] for edge in connection["edges"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert len({node["id"] for node in seen}) == len(seen) == 250
    key, descending = SORT_KEYS[sort]
    values = [key(node) for node in seen]
    assert values == sorted(values, reverse=descending)


async def test_a_cursor_from_another_sort_is_refused(client, seeded):
    body = await graphql(client, PAGE, sort="NAME_ASC")
    cursor = body["data"]["products"]["pageInfo"]["endCursor"]
    response = await client.post(
        "/graphql", json={"query": PAGE, "variables": {"after": cursor, "sort": "SKU_ASC"}}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_page_costs_one_statement_without_total_count(client, seeded, statements):
    await graphql(client, "{ products(first: 100) { nodes { id sku } } }")
    assert len(statements.selects) == 1


async def test_a_page_with_total_count_costs_two_statements(client, seeded, statements):
    body = await graphql(client, "{ products(first: 100) { totalCount nodes { id } } }")
    assert body["data"]["products"]["totalCount"] == 250
    assert len(statements.selects) == 2
