"""The catalog's HTTP endpoints over a real database (the kit's suite covers the HTTP edge
itself: keys, body limit, request ids, the readiness timeout)."""

import pytest

from tests.integration.helpers import create_product

pytestmark = pytest.mark.anyio


async def test_readiness_reports_the_database_up(client):
    response = await client.get("/health/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "up"})


async def test_a_keyed_post_reads_the_catalog(client):
    product = await create_product(client, sku="ep-1")
    response = await client.post("/graphql", json={"query": "{ products { nodes { sku } } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"products": {"nodes": [{"sku": product["sku"]}]}}}
