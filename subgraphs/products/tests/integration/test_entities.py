"""Federation: `_entities` resolves many products with one query and `_service` serves the SDL."""

import uuid

import pytest

from tests.integration.helpers import create_product, graphql

pytestmark = pytest.mark.anyio

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id sku } }
}"""


async def test_two_hundred_representations_cost_one_select_and_keep_their_order(client, statements):
    created = [await create_product(client) for _ in range(200)]
    wanted = [*reversed(created[:100]), *created[100:]]
    representations = [{"__typename": "Product", "id": p["id"]} for p in wanted]
    statements.statements.clear()
    body = await graphql(client, ENTITIES, representations=representations)
    assert [entity["id"] for entity in body["data"]["_entities"]] == [p["id"] for p in wanted]
    assert len(statements.statements) == 1


async def test_unknown_and_malformed_ids_resolve_to_null(client):
    created = await create_product(client)
    representations = [
        {"__typename": "Product", "id": str(uuid.uuid4())},
        {"__typename": "Product", "id": "not-a-uuid"},
        {"__typename": "Product", "id": created["id"]},
    ]
    body = await graphql(client, ENTITIES, representations=representations)
    assert body["data"]["_entities"] == [None, None, {"id": created["id"], "sku": created["sku"]}]


async def test_service_sdl_declares_the_product_key(client):
    body = await graphql(client, "{ _service { sdl } }")
    assert 'type Product @key(fields: "id")' in body["data"]["_service"]["sdl"]
