"""The inventory's HTTP endpoints over a real database (the kit's suite covers the HTTP
edge itself: keys, body limit, request ids, the readiness timeout)."""

import pytest

from tests.integration.helpers import adjust

pytestmark = pytest.mark.anyio


async def test_readiness_reports_the_database_and_products_up(client):
    response = await client.get("/health/ready")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": "up", "products": "up"},
    )


async def test_readiness_reports_products_without_failing_on_it(client, catalog):
    catalog.down = True
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "products": "down"}


async def test_a_keyed_post_writes_and_reads_stock(client, product):
    assert (await adjust(client, product, 3))["userErrors"] == []
    query = "query ($id: ID!) { stockLevel(productId: $id) { onHand } }"
    response = await client.post("/graphql", json={"query": query, "variables": {"id": product}})
    assert response.json() == {"data": {"stockLevel": {"onHand": 3}}}
