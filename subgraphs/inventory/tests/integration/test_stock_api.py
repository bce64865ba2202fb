"""Stock levels through the GraphQL API: adjust, set, reorder point, reads."""

import uuid

import pytest

from tests.integration.helpers import adjust, graphql, set_stock

pytestmark = pytest.mark.anyio

LEVEL = "query ($id: ID!) { stockLevel(productId: $id) { onHand version lowStock tracked } }"


async def test_an_adjustment_starts_tracking_and_is_readable(client, product):
    payload = await adjust(client, product, 7)
    assert payload["userErrors"] == []
    assert payload["stockLevel"]["onHand"] == payload["stockLevel"]["available"] == 7
    body = await graphql(client, LEVEL, id=product)
    assert body["data"]["stockLevel"] == {
        "onHand": 7,
        "version": 1,
        "lowStock": False,
        "tracked": True,
    }


async def test_a_product_never_stocked_has_no_stock_level(client, product):
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"] is None


async def test_removing_more_than_is_on_hand_is_refused_and_nothing_is_written(client, product):
    await adjust(client, product, 3)
    payload = await adjust(client, product, -4, reason="SOLD")
    assert payload["stockLevel"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "delta"],
            "message": "Only 3 available; cannot remove 4.",
            "code": "INSUFFICIENT_STOCK",
        }
    ]
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"]["onHand"] == 3


async def test_removing_from_a_product_never_stocked_leaves_it_untracked(client, product):
    payload = await adjust(client, product, -1, reason="SOLD")
    assert payload["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"] is None


async def test_an_unknown_product_is_refused_and_nothing_is_written(client, catalog):
    unknown = str(uuid.uuid4())
    payload = await adjust(client, unknown, 5)
    assert payload["userErrors"] == [
        {
            "field": ["input", "productId"],
            "message": "The products subgraph has no product with this id.",
            "code": "PRODUCT_NOT_FOUND",
        }
    ]
    assert (await graphql(client, LEVEL, id=unknown))["data"]["stockLevel"] is None


async def test_products_being_unavailable_is_refused_and_nothing_is_written(
    client, catalog, product
):
    catalog.down = True
    payload = await adjust(client, product, 5)
    assert payload["userErrors"][0]["code"] == "PRODUCTS_UNAVAILABLE"
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"] is None


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"delta": 0}, ["input", "delta"]),
        ({"delta": 1_000_001}, ["input", "delta"]),
        ({"reference": "r" * 256}, ["input", "reference"]),
        ({"idempotencyKey": ""}, ["input", "idempotencyKey"]),
        ({"idempotencyKey": "k" * 256}, ["input", "idempotencyKey"]),
    ],
)
async def test_invalid_adjustments_are_refused_with_the_field_path(client, product, fields, path):
    payload = await adjust(client, product, **({"delta": 1} | fields))
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, "INVALID_INPUT")]


async def test_a_malformed_product_id_is_product_not_found(client):
    payload = await adjust(client, "'; DROP TABLE stock_levels; --", 1)
    assert payload["userErrors"][0]["code"] == "PRODUCT_NOT_FOUND"


async def test_set_stock_sets_on_hand_and_bumps_the_version(client, product):
    await adjust(client, product, 10)
    payload = await set_stock(client, product, 4, expectedVersion=1)
    assert payload["stockLevel"]["onHand"] == 4
    assert payload["stockLevel"]["version"] == 2


async def test_set_stock_with_a_stale_expected_version_is_a_conflict(client, product):
    await adjust(client, product, 10)
    await adjust(client, product, 1)
    payload = await set_stock(client, product, 4, expectedVersion=1)
    assert payload["userErrors"][0]["code"] == "VERSION_CONFLICT"
    assert payload["userErrors"][0]["field"] == ["input", "expectedVersion"]
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"]["onHand"] == 11


async def test_set_stock_refuses_a_negative_count(client, product):
    payload = await set_stock(client, product, -1)
    assert payload["userErrors"][0] == {
        "field": ["input", "onHand"],
        "message": "Input should be greater than or equal to 0",
        "code": "INVALID_INPUT",
    }


async def test_on_hand_cannot_pass_what_a_graphql_int_holds(client, product):
    await set_stock(client, product, 2**31 - 1)
    payload = await adjust(client, product, 1)
    assert payload["userErrors"][0]["code"] == "INVALID_INPUT"


async def test_the_reorder_point_decides_low_stock(client, product):
    await adjust(client, product, 5)
    mutation = """mutation ($id: ID!, $rp: Int!) {
      setReorderPoint(productId: $id, reorderPoint: $rp) {
        stockLevel { lowStock reorderPoint } userErrors { field code } } }"""
    body = await graphql(client, mutation, id=product, rp=5)
    assert body["data"]["setReorderPoint"]["stockLevel"] == {"lowStock": True, "reorderPoint": 5}
    body = await graphql(client, mutation, id=product, rp=-1)
    assert body["data"]["setReorderPoint"]["userErrors"] == [
        {"field": ["reorderPoint"], "code": "INVALID_INPUT"}
    ]


async def test_movements_are_listed_newest_first_and_paginate(client, product):
    for delta in (5, -2, 3):
        await adjust(client, product, delta, reference=f"ref{delta}")
    query = """query ($id: ID!, $after: String) { stockLevel(productId: $id) {
      movements(first: 2, after: $after) { totalCount nodes { delta onHandAfter reason reference }
        pageInfo { hasNextPage endCursor } } } }"""
    first = (await graphql(client, query, id=product))["data"]["stockLevel"]["movements"]
    assert [(m["delta"], m["onHandAfter"]) for m in first["nodes"]] == [(3, 6), (-2, 3)]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"]
    rest = await graphql(client, query, id=product, after=first["pageInfo"]["endCursor"])
    nodes = rest["data"]["stockLevel"]["movements"]["nodes"]
    assert nodes == [{"delta": 5, "onHandAfter": 5, "reason": "RECEIVED", "reference": "ref5"}]


async def test_stock_levels_filter_by_low_and_out_of_stock(client, catalog):
    empty, low, plenty = (str(catalog.add(uuid.uuid4())) for _ in range(3))
    for product_id, on_hand in ((empty, 0), (low, 2), (plenty, 50)):
        await set_stock(client, product_id, on_hand)
    for product_id in (empty, low, plenty):
        await graphql(
            client,
            "mutation ($id: ID!) { setReorderPoint(productId: $id, reorderPoint: 5) { "
            "userErrors { code } } }",
            id=product_id,
        )
    query = "query ($f: StockFilter) { stockLevels(filter: $f) { totalCount nodes { productId } } }"

    async def ids(**filter):
        connection = (await graphql(client, query, f=filter))["data"]["stockLevels"]
        assert connection["totalCount"] == len(connection["nodes"])
        return {node["productId"] for node in connection["nodes"]}

    assert await ids(lowStock=True) == {empty, low}
    assert await ids(outOfStock=True) == {empty}
    assert await ids(lowStock=False) == {plenty}
    assert await ids(productIds=[low, "not-a-uuid"]) == {low}


async def test_stock_levels_walk_in_pages_without_gaps_or_repeats(client, catalog):
    created = {str(catalog.add(uuid.uuid4())) for _ in range(25)}
    for product_id in created:
        await adjust(client, product_id, 1)
    query = """query ($after: String) { stockLevels(first: 10, after: $after) {
      nodes { productId } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        connection = (await graphql(client, query, after=after))["data"]["stockLevels"]
        seen += [node["productId"] for node in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == created


async def test_movements_of_a_page_of_levels_cost_one_query(client, catalog, statements):
    for _ in range(5):
        product_id = str(catalog.add(uuid.uuid4()))
        await adjust(client, product_id, 2)
        await adjust(client, product_id, -1, reason="SOLD")
    statements.statements.clear()
    body = await graphql(
        client, "{ stockLevels(first: 10) { nodes { movements(first: 5) { nodes { delta } } } } }"
    )
    assert all(
        len(node["movements"]["nodes"]) == 2 for node in body["data"]["stockLevels"]["nodes"]
    )
    assert len(statements.selects) == 2
