"""Creating, reading, updating and deleting products through the GraphQL API."""

import uuid

import pytest

from tests.integration.helpers import CREATE, create_product, graphql

pytestmark = pytest.mark.anyio

UPDATE = """
mutation ($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) {
    product { sku name description price { amount currencyCode } status }
    userErrors { field code }
  }
}"""


async def count(client, **filter) -> int:
    body = await graphql(
        client, "query ($f: ProductFilter) { products(filter: $f) { totalCount } }", f=filter
    )
    return body["data"]["products"]["totalCount"]


async def test_a_created_product_can_be_read_by_id_and_by_sku(client):
    created = await create_product(client, sku="lamp-1", name=" Lamp ")
    query = "query ($id: ID, $sku: String) { product(id: $id, sku: $sku) { id sku name } }"
    by_id = await graphql(client, query, id=created["id"])
    by_sku = await graphql(client, query, sku="LAMP-1")
    assert by_id["data"]["product"] == by_sku["data"]["product"]
    assert by_id["data"]["product"] == {"id": created["id"], "sku": "LAMP-1", "name": "Lamp"}


async def test_a_created_product_has_normalised_price_and_default_status(client):
    created = await create_product(client, price={"amount": "-0", "currencyCode": "usd"})
    assert created["price"] == {"amount": "0.00", "currencyCode": "USD"}
    assert created["status"] == "ACTIVE"


async def test_duplicate_sku_is_refused_and_nothing_is_written(client, app):
    await create_product(client, sku="DUP-1")
    body = await graphql(
        client,
        CREATE,
        input={"sku": "dup-1", "name": "Other", "price": {"amount": "1", "currencyCode": "EUR"}},
    )
    assert body["data"]["createProduct"]["userErrors"] == [
        {
            "field": ["input", "sku"],
            "message": "A product with SKU DUP-1 exists.",
            "code": "DUPLICATE_SKU",
        }
    ]
    assert await count(client) == 1
    with app.state.runtime.engine.connect() as connection:
        events = connection.exec_driver_sql("SELECT name FROM outbox_events").scalars().all()
    assert events == ["ProductCreated"]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"sku": "no spaces"}, ["input", "sku"]),
        ({"name": "   "}, ["input", "name"]),
        ({"description": "x" * 5001}, ["input", "description"]),
        ({"price": {"amount": "12.345", "currencyCode": "EUR"}}, ["input", "price", "amount"]),
        ({"price": {"amount": "NaN", "currencyCode": "EUR"}}, ["input", "price", "amount"]),
        ({"price": {"amount": "1", "currencyCode": "EURO"}}, ["input", "price", "currencyCode"]),
    ],
)
async def test_invalid_input_is_refused_with_the_field_path(client, fields, path):
    given = {"sku": "OK-1", "name": "Widget", "price": {"amount": "1", "currencyCode": "EUR"}}
    body = await graphql(client, CREATE, input=given | fields)
    payload = body["data"]["createProduct"]
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, "INVALID_INPUT")]
    assert await count(client) == 0


async def test_update_changes_only_the_fields_given(client):
    created = await create_product(client, sku="U-1", description="Bright")
    body = await graphql(client, UPDATE, id=created["id"], input={"name": "Desk lamp"})
    product = body["data"]["updateProduct"]["product"]
    assert (product["name"], product["sku"], product["description"]) == (
        "Desk lamp",
        "U-1",
        "Bright",
    )


async def test_update_with_null_description_clears_it(client):
    created = await create_product(client, description="Bright")
    body = await graphql(client, UPDATE, id=created["id"], input={"description": None})
    assert body["data"]["updateProduct"]["product"]["description"] is None


@pytest.mark.parametrize("field", ["sku", "name", "price", "status"])
async def test_update_with_null_for_a_required_field_is_invalid(client, field):
    created = await create_product(client)
    body = await graphql(client, UPDATE, id=created["id"], input={field: None})
    assert body["data"]["updateProduct"]["userErrors"] == [
        {"field": ["input", field], "code": "INVALID_INPUT"}
    ]


async def test_update_to_a_taken_sku_is_a_duplicate(client):
    await create_product(client, sku="TAKEN")
    other = await create_product(client, sku="FREE")
    body = await graphql(client, UPDATE, id=other["id"], input={"sku": "taken"})
    assert body["data"]["updateProduct"]["userErrors"] == [
        {"field": ["input", "sku"], "code": "DUPLICATE_SKU"}
    ]


@pytest.mark.parametrize("product_id", [str(uuid.uuid4()), "not-a-uuid", "' OR 1=1 --"])
async def test_unknown_or_malformed_ids_find_nothing(client, product_id):
    body = await graphql(client, "query ($id: ID) { product(id: $id) { id } }", id=product_id)
    assert body == {"data": {"product": None}}
    body = await graphql(client, UPDATE, id=product_id, input={"name": "x"})
    assert body["data"]["updateProduct"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]


async def test_delete_returns_the_id_and_the_product_is_gone(client):
    created = await create_product(client)
    mutation = "mutation ($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }"
    body = await graphql(client, mutation, id=created["id"])
    assert body["data"]["deleteProduct"] == {"deletedId": created["id"], "userErrors": []}
    again = await graphql(client, mutation, id=created["id"])
    assert again["data"]["deleteProduct"] == {
        "deletedId": None,
        "userErrors": [{"code": "NOT_FOUND"}],
    }


async def test_search_matches_like_metacharacters_literally(client):
    for sku, name in [
        ("A-1", "100% cotton"),
        ("A-2", "1000 cotton"),
        ("A_3", "back\\slash"),
        ("AX3", "plain"),
    ]:
        await create_product(client, sku=sku, name=name)
    assert await count(client, search="0%") == 1
    assert await count(client, search="a_") == 1
    assert await count(client, search="\\") == 1
    assert await count(client, search="COTTON") == 2


async def test_filters_combine(client):
    await create_product(client, sku="C-1", price={"amount": "5", "currencyCode": "EUR"})
    await create_product(
        client, sku="C-2", price={"amount": "15", "currencyCode": "EUR"}, status="DRAFT"
    )
    await create_product(client, sku="C-3", price={"amount": "25", "currencyCode": "EUR"})
    assert await count(client, minPrice="10", maxPrice="30") == 2
    assert await count(client, minPrice="10", status=["ACTIVE"]) == 1
    assert await count(client, skus=["c-1", "c-3"]) == 2
    assert await count(client, ids=["not-a-uuid"]) == 0


async def test_sql_metacharacters_are_stored_verbatim(client):
    name = "Robert'); DROP TABLE products;-- \" % _ \\"
    created = await create_product(client, name=name, description=name)
    body = await graphql(
        client, "query ($id: ID) { product(id: $id) { name description } }", id=created["id"]
    )
    assert body["data"]["product"] == {"name": name, "description": name}


async def test_an_amount_with_thirty_digits_is_refused_not_rounded(client):
    given = {
        "sku": "LONG-1",
        "name": "Long",
        "price": {"amount": "1." + "9" * 30, "currencyCode": "EUR"},
    }
    payload = (await graphql(client, CREATE, input=given))["data"]["createProduct"]
    assert payload["product"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["INVALID_INPUT"]
    assert (await graphql(client, "{ products { totalCount } }"))["data"]["products"][
        "totalCount"
    ] == 0


async def test_a_sku_that_is_not_ascii_is_refused_and_finds_nothing(client):
    await create_product(client, sku="STRASSE-1")
    given = {"sku": "straße-1", "name": "Street", "price": {"amount": "1", "currencyCode": "EUR"}}
    payload = (await graphql(client, CREATE, input=given))["data"]["createProduct"]
    assert [error["code"] for error in payload["userErrors"]] == ["INVALID_INPUT"]
    found = await graphql(client, '{ product(sku: "straße-1") { sku } }')
    assert found["data"]["product"] is None
    listed = await graphql(client, '{ products(filter: {skus: ["straße-1"]}) { totalCount } }')
    assert listed["data"]["products"]["totalCount"] == 0
