"""Federation: the router's `_entities` calls cost one query and never call products."""

import uuid

import pytest

from tests.integration.helpers import adjust, graphql

pytestmark = pytest.mark.anyio

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id inStock stock { onHand available lowStock tracked } }
  }
}"""


async def test_five_hundred_representations_cost_one_select_in_the_order_asked(
    client, catalog, statements
):
    stocked = [str(catalog.add(uuid.uuid4())) for _ in range(5)]
    for product_id in stocked:
        await adjust(client, product_id, 3)
    wanted = [str(uuid.uuid4()) for _ in range(495)] + stocked
    wanted.reverse()
    representations = [{"__typename": "Product", "id": product_id} for product_id in wanted]
    statements.statements.clear()
    calls = catalog.calls
    body = await graphql(client, ENTITIES, representations=representations)
    entities = body["data"]["_entities"]
    assert [entity["id"] for entity in entities] == wanted
    assert len(statements.statements) == 1
    assert catalog.calls == calls
    by_id = {entity["id"]: entity for entity in entities}
    assert by_id[stocked[0]]["stock"] == {
        "onHand": 3,
        "available": 3,
        "lowStock": False,
        "tracked": True,
    }
    assert by_id[wanted[-1]] == {
        "id": wanted[-1],
        "inStock": False,
        "stock": {"onHand": 0, "available": 0, "lowStock": False, "tracked": False},
    }


async def test_stock_level_product_is_an_entity_reference_that_costs_nothing(
    client, product, statements
):
    # What the router asks for: the key, to fetch the rest from products.
    await adjust(client, product, 1)
    statements.statements.clear()
    query = "query ($id: ID!) { stockLevel(productId: $id) { product { id } } }"
    body = await graphql(client, query, id=product)
    assert body["data"]["stockLevel"]["product"] == {"id": product}
    assert len(statements.statements) == 1  # the stockLevel read itself


async def test_stock_fields_of_a_level_s_product_cost_one_batched_select(
    client, product, catalog, statements
):
    # inStock totals every location, so it is read, once for the whole page.
    other = str(catalog.add(uuid.uuid4()))
    await adjust(client, product, 1)
    await adjust(client, other, 2)
    statements.statements.clear()
    query = "{ stockLevels(first: 10) { nodes { product { id inStock inventory { onHand } } } } }"
    nodes = (await graphql(client, query))["data"]["stockLevels"]["nodes"]
    on_hand = {node["product"]["id"]: node["product"]["inventory"]["onHand"] for node in nodes}
    assert on_hand == {product: 1, other: 2}
    assert len(statements.statements) == 2  # the page, then the products' stock
