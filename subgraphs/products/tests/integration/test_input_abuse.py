"""Abusive input: SQL metacharacters, oversized and malformed values, and documents built to
exhaust the server. Every answer is under 500 with no INTERNAL_SERVER_ERROR, and carries the
code that says what was wrong: a userError (INVALID_INPUT, NOT_FOUND) for a refused input, a
top-level BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED for a refused
request, 413 for an oversized body."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from subgraph_kit.graphql.pagination import encode_cursor
from subgraph_kit_testing.http import call, codes

from tests.integration.helpers import CREATE, create_product

pytestmark = pytest.mark.anyio

SQL = [
    "'; DROP TABLE products; --",
    '" OR "1"="1',
    "' OR '1'='1' /*",
    "1; SELECT pg_sleep(10); --",
    "Robert'); DELETE FROM products WHERE ('a'='a",
    "%' UNION SELECT sku, name FROM products --",
    "\\'; --",
]
MALFORMED_IDS = ["", " ", "\u0000", "x" * 10_000, "'; --", "00000000-0000-0000-0000-00000000000g"]
ODD_AMOUNTS = [
    "1e999999",
    "NaN",
    "sNaN",
    "-Infinity",
    "0.0000001",
    1e308,
    "9" * 400,
    "1e-999999",
    "-1",
]
ZERO_ID = "00000000-0000-0000-0000-000000000000"

PRODUCT = "query ($id: ID, $sku: String) { product(id: $id, sku: $sku) { name description } }"
COUNT = "query ($f: ProductFilter) { products(filter: $f) { totalCount } }"
PAGE = """query ($first: Int!, $after: String, $sort: ProductSort!, $f: ProductFilter) {
  products(first: $first, after: $after, sort: $sort, filter: $f) { totalCount nodes { sku } } }"""
UPDATE = """mutation ($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) { product { description } userErrors { field code } } }"""
DELETE = "mutation ($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { field code } } }"
ENTITIES = """query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on Product { id } } }"""


async def total(client: httpx.AsyncClient, **filter: Any) -> int:
    body = await call(client, COUNT, f=filter)
    assert codes(body) == [], body
    return body["data"]["products"]["totalCount"]


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """createProduct's payload, for input that may be refused."""
    given = {"sku": "OK-1", "name": "Widget", "price": {"amount": "1", "currencyCode": "EUR"}}
    return (await call(client, CREATE, input=given | fields))["data"]["createProduct"]


LOOKUPS = ["search", "skus", "sku", "name-cursor"]
ODD_CHARACTERS = pytest.mark.parametrize(
    "text",
    ["nul \u0000 inside", "lone \ud800 high surrogate", "lone \udfff low surrogate"],
    ids=["nul", "high-surrogate", "low-surrogate"],
)


async def assert_nothing_found_or_refused(
    client: httpx.AsyncClient, lookup: str, text: str
) -> None:
    """Look `text` up one way; it names no product, so the answer is empty or BAD_USER_INPUT."""
    if lookup == "sku":
        body = await call(client, PRODUCT, sku=text)
        found = body["data"] and body["data"]["product"]
    else:
        variables: dict[str, Any] = {"first": 5, "sort": "NAME_ASC"}
        if lookup == "name-cursor":
            variables["after"] = encode_cursor("NAME_ASC", text + "\uffff" * 3, ZERO_ID)
        else:
            variables["f"] = {"search": text} if lookup == "search" else {"skus": [text]}
        body = await call(client, PAGE, **variables)
        found = body["data"] and body["data"]["products"]["nodes"]
    assert codes(body) in ([], ["BAD_USER_INPUT"]), body
    assert not found, body


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("text", SQL)
async def test_sql_metacharacters_in_name_and_description_are_stored_verbatim(client, text):
    created = await create_product(client, name=text, description=text)
    body = await call(client, UPDATE, id=created["id"], input={"description": text * 2})
    assert body["data"]["updateProduct"]["product"] == {"description": text * 2}
    body = await call(client, PRODUCT, id=created["id"])
    assert body["data"]["product"] == {"name": text, "description": text * 2}
    assert await total(client) == 1


@pytest.mark.parametrize("text", SQL)
async def test_sql_metacharacters_in_search_are_matched_literally(client, text):
    await create_product(client, name=f"Lamp {text}")
    await create_product(client, name="Plain")
    assert await total(client, search=text) == 1
    assert await total(client, search=text + "x") == 0
    assert await total(client) == 2


@pytest.mark.parametrize("text", SQL)
async def test_sql_metacharacters_in_a_sku_find_nothing_and_are_invalid_to_store(client, text):
    await create_product(client)
    assert (await call(client, PRODUCT, sku=text))["data"]["product"] is None
    assert await total(client, skus=[text]) == 0
    payload = await create(client, sku=text)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "sku"], "INVALID_INPUT")
    ]
    assert await total(client) == 1


@pytest.mark.parametrize("product_id", SQL + MALFORMED_IDS)
async def test_sql_metacharacters_and_malformed_ids_find_nothing(client, product_id):
    await create_product(client)
    assert (await call(client, PRODUCT, id=product_id))["data"]["product"] is None
    assert await total(client, ids=[product_id]) == 0
    body = await call(client, UPDATE, id=product_id, input={"name": "x"})
    assert body["data"]["updateProduct"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    body = await call(client, DELETE, id=product_id)
    assert body["data"]["deleteProduct"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    body = await call(client, ENTITIES, r=[{"__typename": "Product", "id": product_id}])
    assert body["data"]["_entities"] == [None]
    assert await total(client) == 1


@pytest.mark.parametrize(
    ("sort", "key"),
    [("NAME_ASC", text) for text in SQL] + [("SKU_ASC", "'; DROP TABLE products; --")],
)
async def test_a_well_formed_cursor_carrying_sql_metacharacters_is_a_plain_sort_key(
    client, sort, key
):
    await create_product(client)
    cursor = encode_cursor(sort, key, ZERO_ID)
    body = await call(client, PAGE, first=5, after=cursor, sort=sort)
    assert codes(body) == []
    assert body["data"]["products"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "x" * 10_000}, ["input", "name"]),
        ({"sku": "X" * 10_000}, ["input", "sku"]),
        ({"description": "x" * 10_000}, ["input", "description"]),
        (
            {"price": {"amount": "1", "currencyCode": "E" * 10_000}},
            ["input", "price", "currencyCode"],
        ),
        ({"name": "x" * 1_000_000}, ["input", "name"]),  # a body just under the 1 MiB limit
    ],
    ids=["name", "sku", "description", "currency", "megabyte-name"],
)
async def test_oversized_strings_are_invalid_input(client, fields, path):
    payload = await create(client, **fields)
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, "INVALID_INPUT")]
    assert await total(client) == 0


@pytest.mark.parametrize("lookup", LOOKUPS)
@pytest.mark.parametrize("size", [10_000, 700_000])  # 700k: still under 1 MiB as a cursor
async def test_oversized_lookup_strings_find_nothing_or_are_refused(client, lookup, size):
    await create_product(client)
    await assert_nothing_found_or_refused(client, lookup, "x" * size)


@pytest.mark.parametrize("first", [2**31, -(2**31) - 1, 2**63, 1.5, "10"])
async def test_page_sizes_that_are_no_graphql_int_are_refused(client, first):
    body = await call(client, PAGE, first=first, sort="SKU_ASC")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Int cannot represent" in body["errors"][0]["message"]


@pytest.mark.parametrize("first", [2**31 - 1, -(2**31), 0, 101])
async def test_page_sizes_outside_one_to_a_hundred_are_refused(client, first):
    body = await call(client, PAGE, first=first, sort="SKU_ASC")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "`first` must be between 1 and 100."


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
async def test_odd_decimal_amounts_are_invalid_input(client, amount):
    payload = await create(client, price={"amount": amount, "currencyCode": "EUR"})
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "price", "amount"], "INVALID_INPUT")
    ]


@pytest.mark.parametrize("amount", ["abc", "", "1,50", "0x10", True])
async def test_an_amount_that_is_no_decimal_is_refused_as_bad_user_input(client, amount):
    given = {"sku": "OK-1", "name": "Widget", "price": {"amount": amount, "currencyCode": "EUR"}}
    body = await call(client, CREATE, input=given)
    assert codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("bound", ["minPrice", "maxPrice"])
@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
async def test_non_finite_price_bounds_are_refused(client, bound, value):
    body = await call(client, COUNT, f={bound: value})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == f"`{bound}` must be a finite number."


@pytest.mark.parametrize(
    ("bound", "value", "found"),
    [
        ("minPrice", "1e999999", 0),
        ("minPrice", "-1e999999", 1),
        ("minPrice", "0.0000001", 1),
        ("minPrice", "1e-999999", 1),
        ("maxPrice", 1e308, 1),
        ("maxPrice", "9" * 400, 1),
        ("maxPrice", "-1e999999", 0),
        ("maxPrice", "9.989999999", 0),
    ],
)
async def test_extreme_price_bounds_are_clamped_to_the_storable_range(client, bound, value, found):
    await create_product(client, price={"amount": "9.99", "currencyCode": "EUR"})
    assert await total(client, **{bound: value}) == found


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("CREATED_AT_DESC", "garbage"),
        ("CREATED_AT_DESC", ""),
        ("CREATED_AT_DESC", "!!!!"),
        ("CREATED_AT_DESC", "'; DROP TABLE products; --"),
        ("CREATED_AT_DESC", "A" * 10_000),
        ("CREATED_AT_DESC", b64(b'{"a": 1}')),
        ("CREATED_AT_DESC", b64(b"[1, 2, 3]")),
        ("CREATED_AT_DESC", b64(b'["CREATED_AT_DESC"]')),
        ("CREATED_AT_DESC", b64(b"\xff\xfe")),
        ("CREATED_AT_DESC", encode_cursor("level", ZERO_ID)),  # inventory's stock levels
        ("CREATED_AT_DESC", encode_cursor("NAME_ASC", "Widget", ZERO_ID)),  # another sort
        ("CREATED_AT_DESC", encode_cursor("CREATED_AT_DESC", "yesterday", ZERO_ID)),
        ("CREATED_AT_DESC", encode_cursor("CREATED_AT_DESC", 1, ZERO_ID)),
        ("NAME_ASC", encode_cursor("NAME_ASC", "Widget", "not-a-uuid")),
        ("NAME_ASC", encode_cursor("NAME_ASC", 42, ZERO_ID)),
        ("PRICE_ASC", encode_cursor("PRICE_ASC", 10**30, ZERO_ID)),
        ("PRICE_ASC", encode_cursor("PRICE_ASC", -(10**30), ZERO_ID)),
        ("PRICE_ASC", encode_cursor("PRICE_ASC", 1.5, ZERO_ID)),
        ("PRICE_ASC", encode_cursor("PRICE_ASC", "10", ZERO_ID)),
        ("PRICE_ASC", encode_cursor("PRICE_ASC", True, ZERO_ID)),
        ("PRICE_ASC", b64(b'["PRICE_ASC", NaN, "' + ZERO_ID.encode() + b'"]')),
    ],
)
async def test_malformed_cursors_are_refused(client, sort, cursor):
    await create_product(client)
    body = await call(client, PAGE, first=5, after=cursor, sort=sort)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "`after`" in body["errors"][0]["message"]


async def test_a_cursor_of_one_sort_is_refused_by_another(client):
    await create_product(client)
    body = await call(client, "{ products(first: 1) { pageInfo { endCursor } } }")
    cursor = body["data"]["products"]["pageInfo"]["endCursor"]
    body = await call(client, PAGE, first=5, after=cursor, sort="NAME_ASC")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "`after` was issued for another list or sort order."


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("PRICE_ASC", 2**63 - 1),
        ("PRICE_DESC", -(2**63) + 1),
        ("CREATED_AT_DESC", "0001-01-01T00:00:00"),
        ("CREATED_AT_ASC", "9999-12-31T23:59:59.999999+00:00"),
        ("CREATED_AT_DESC", "2020-01-01T00:00:00+05:00"),
        ("NAME_DESC", "x" * 10_000),
    ],
)
async def test_well_formed_cursors_with_extreme_keys_page_without_error(client, sort, key):
    await create_product(client)
    body = await call(client, PAGE, first=5, after=encode_cursor(sort, key, ZERO_ID), sort=sort)
    assert codes(body) == []


@ODD_CHARACTERS
async def test_nul_and_lone_surrogates_in_name_and_description_are_kept_or_invalid(client, text):
    payload = await create(client, name=text, description=text)
    if payload["userErrors"]:
        assert {e["code"] for e in payload["userErrors"]} == {"INVALID_INPUT"}
    else:
        body = await call(client, PRODUCT, id=payload["product"]["id"])
        assert body["data"]["product"] == {"name": text, "description": text}


@ODD_CHARACTERS
@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_nul_and_lone_surrogates_in_lookups_find_nothing_or_are_refused(client, lookup, text):
    await create_product(client)
    await assert_nothing_found_or_refused(client, lookup, text)
