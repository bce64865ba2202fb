"""Abusive input: SQL metacharacters, oversized and malformed values, and documents built to
exhaust the server. Every answer is under 500 with no INTERNAL_SERVER_ERROR, and carries the
code that says what was wrong: a userError (INVALID_INPUT, PRODUCT_NOT_FOUND) for a refused
input, a top-level BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED for a
refused request, 413 for an oversized body."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from subgraph_kit.graphql.pagination import encode_cursor
from subgraph_kit_testing.http import call, codes

from tests.integration.helpers import ADJUST, SET

pytestmark = pytest.mark.anyio

SQL = [
    "'; DROP TABLE stock_levels; --",
    '" OR "1"="1',
    "' OR '1'='1' /*",
    "1; SELECT pg_sleep(10); --",
    "x'); DELETE FROM stock_movements WHERE ('a'='a",
    "%' UNION SELECT reference FROM stock_movements --",
    "\\'; --",
]
MALFORMED_IDS = ["", " ", "\u0000", "x" * 10_000, "'; --", "00000000-0000-0000-0000-00000000000g"]
ZERO_ID = "00000000-0000-0000-0000-000000000000"
MAX_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
ODD_CHARACTERS = pytest.mark.parametrize(
    "text",
    ["nul \u0000 inside", "lone \ud800 high surrogate", "lone \udfff low surrogate"],
    ids=["nul", "high-surrogate", "low-surrogate"],
)

REORDER = """mutation ($id: ID!, $rp: Int!) {
  setReorderPoint(productId: $id, reorderPoint: $rp) {
    stockLevel { reorderPoint } userErrors { field code } } }"""
LEVEL = """query ($id: ID!, $after: String, $first: Int! = 5) { stockLevel(productId: $id) {
  onHand version movements(first: $first, after: $after) { nodes { reference } } } }"""
LEVELS = """query ($first: Int! = 5, $after: String, $f: StockFilter) {
  stockLevels(first: $first, after: $after, filter: $f) { totalCount nodes { productId } } }"""
ENTITIES = """query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on Product { id stock { onHand tracked } } } }"""
MUTATIONS = {"adjustStock": ADJUST, "setStock": SET}


async def mutate(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    """adjustStock (delta 1) or setStock (onHand 1) with `fields`; the payload or the body."""
    base = {"delta": 1, "reason": "RECEIVED"} if name == "adjustStock" else {"onHand": 1}
    body = await call(client, MUTATIONS[name], input=base | fields)
    return body["data"][name] if body.get("data") else body


def refused(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    assert payload["stockLevel"] is None, payload
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def tracked_levels(client: httpx.AsyncClient) -> int:
    return (await call(client, LEVELS))["data"]["stockLevels"]["totalCount"]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("text", SQL)
async def test_sql_metacharacters_in_reference_and_idempotency_key_are_stored_verbatim(
    client, product, text
):
    first = await mutate(
        client, "adjustStock", productId=product, reference=text, idempotencyKey=text
    )
    replay = await mutate(
        client, "adjustStock", productId=product, reference=text, idempotencyKey=text
    )
    assert first == replay
    assert first["stockLevel"]["onHand"] == 1
    payload = await mutate(client, "setStock", productId=product, onHand=7, reference=text * 2)
    assert payload["stockLevel"]["onHand"] == 7
    level = (await call(client, LEVEL, id=product))["data"]["stockLevel"]
    assert level["movements"]["nodes"] == [{"reference": text * 2}, {"reference": text}]
    assert await tracked_levels(client) == 1


@pytest.mark.parametrize("product_id", SQL + MALFORMED_IDS)
async def test_sql_metacharacters_and_malformed_product_ids_are_product_not_found(
    client, product, product_id
):
    await mutate(client, "adjustStock", productId=product)
    for name in MUTATIONS:
        payload = await mutate(client, name, productId=product_id)
        assert refused(payload) == [(["input", "productId"], "PRODUCT_NOT_FOUND")]
    body = await call(client, REORDER, id=product_id, rp=1)
    assert refused(body["data"]["setReorderPoint"]) == [(["productId"], "PRODUCT_NOT_FOUND")]
    assert (await call(client, LEVEL, id=product_id))["data"]["stockLevel"] is None
    levels = (await call(client, LEVELS, f={"productIds": [product_id]}))["data"]["stockLevels"]
    assert levels["totalCount"] == 0
    body = await call(client, ENTITIES, r=[{"__typename": "Product", "id": product_id}])
    assert body["data"]["_entities"] == [None]
    assert await tracked_levels(client) == 1


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"reference": "r" * 10_000}, ["input", "reference"]),
        ({"idempotencyKey": "k" * 10_000}, ["input", "idempotencyKey"]),
        ({"reference": "r" * 1_000_000}, ["input", "reference"]),  # a body just under 1 MiB
    ],
    ids=["reference", "idempotency-key", "megabyte-reference"],
)
@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_oversized_strings_are_invalid_input(client, product, name, fields, path):
    payload = await mutate(client, name, productId=product, **fields)
    assert refused(payload) == [(path, "INVALID_INPUT")]
    assert await tracked_levels(client) == 0


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("adjustStock", "delta", 2**40),
        ("adjustStock", "delta", 2**31),
        ("adjustStock", "delta", -(2**31) - 1),
        ("adjustStock", "delta", 1.5),
        ("adjustStock", "delta", "1"),
        ("setStock", "onHand", 2**31),
        ("setStock", "onHand", 2**63),
        ("setStock", "expectedVersion", 2**40),
    ],
)
async def test_integers_that_are_no_graphql_int_are_refused(client, product, name, field, value):
    body = await mutate(client, name, productId=product, **{field: value})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Int cannot represent" in body["errors"][0]["message"]
    assert await tracked_levels(client) == 0


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("adjustStock", "delta", 2**31 - 1),
        ("adjustStock", "delta", -(2**31)),
        ("setStock", "onHand", -(2**31)),
        ("setStock", "expectedVersion", -(2**31)),
    ],
)
async def test_int_extremes_outside_the_rules_are_invalid_input(
    client, product, name, field, value
):
    payload = await mutate(client, name, productId=product, **{field: value})
    assert refused(payload) == [(["input", field], "INVALID_INPUT")]


async def test_a_reorder_point_beyond_a_graphql_int_is_refused(client, product):
    body = await call(client, REORDER, id=product, rp=2**31)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Int cannot represent" in body["errors"][0]["message"]


async def test_the_smallest_graphql_int_as_a_reorder_point_is_invalid_input(client, product):
    body = await call(client, REORDER, id=product, rp=-(2**31))
    assert refused(body["data"]["setReorderPoint"]) == [(["reorderPoint"], "INVALID_INPUT")]


async def test_the_largest_graphql_int_is_a_valid_count_and_a_stale_version(client, product):
    payload = await mutate(client, "setStock", productId=product, onHand=2**31 - 1)
    assert payload["stockLevel"]["onHand"] == 2**31 - 1
    body = await call(client, REORDER, id=product, rp=2**31 - 1)
    assert body["data"]["setReorderPoint"]["stockLevel"] == {"reorderPoint": 2**31 - 1}
    payload = await mutate(client, "setStock", productId=product, expectedVersion=2**31 - 1)
    assert refused(payload) == [(["input", "expectedVersion"], "VERSION_CONFLICT")]


@pytest.mark.parametrize("first", [2**31, -(2**31) - 1, 1.5])
@pytest.mark.parametrize("connection", ["stockLevels", "movements"])
async def test_page_sizes_that_are_no_graphql_int_are_refused(client, product, connection, first):
    query = LEVELS if connection == "stockLevels" else LEVEL
    body = await call(client, query, id=product, first=first)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Int cannot represent" in body["errors"][0]["message"]


@pytest.mark.parametrize("first", [2**31 - 1, -(2**31), 0, 101])
@pytest.mark.parametrize("connection", ["stockLevels", "movements"])
async def test_page_sizes_outside_one_to_a_hundred_are_refused(client, product, connection, first):
    await mutate(client, "adjustStock", productId=product)
    query = LEVELS if connection == "stockLevels" else LEVEL
    body = await call(client, query, id=product, first=first)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "`first` must be between 1 and 100."


LEVEL_CURSORS = [
    "garbage",
    "",
    "!!!!",
    "A" * 10_000,
    *SQL,
    b64(b'{"a": 1}'),
    b64(b"[1, 2, 3]"),
    b64(b'["level"]'),
    b64(b"\xff\xfe"),
    encode_cursor("level", "not-a-uuid", ZERO_ID),
    encode_cursor("level", ZERO_ID, 5),
    encode_cursor("level", ZERO_ID),  # one from before locations: product id alone
    encode_cursor("level", "'; DROP TABLE stock_levels; --", ZERO_ID),
    encode_cursor("movement", 1),  # another list's cursor
    encode_cursor("CREATED_AT_DESC", "2020-01-01T00:00:00", ZERO_ID),  # a products cursor
]
MOVEMENT_CURSORS = [
    "garbage",
    *SQL,
    encode_cursor("movement", 0),
    encode_cursor("movement", -1),
    encode_cursor("movement", 2**63),
    encode_cursor("movement", 10**30),
    encode_cursor("movement", 1.5),
    encode_cursor("movement", "5"),
    encode_cursor("movement", True),
    b64(b'["movement", NaN]'),
    encode_cursor("level", ZERO_ID, ZERO_ID),  # another list's cursor
]


@pytest.mark.parametrize(
    ("connection", "cursor"),
    [("stockLevels", cursor) for cursor in LEVEL_CURSORS]
    + [("movements", cursor) for cursor in MOVEMENT_CURSORS],
)
async def test_malformed_cursors_are_refused(client, product, connection, cursor):
    await mutate(client, "adjustStock", productId=product)
    query = LEVELS if connection == "stockLevels" else LEVEL
    body = await call(client, query, id=product, after=cursor)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "`after`" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("connection", "cursor"),
    [
        ("stockLevels", encode_cursor("level", ZERO_ID, ZERO_ID)),
        ("stockLevels", encode_cursor("level", MAX_ID, MAX_ID)),
        ("movements", encode_cursor("movement", 2**63 - 1)),
        ("movements", encode_cursor("movement", 1)),
    ],
)
async def test_well_formed_cursors_with_extreme_keys_page_without_error(
    client, product, connection, cursor
):
    await mutate(client, "adjustStock", productId=product)
    query = LEVELS if connection == "stockLevels" else LEVEL
    assert codes(await call(client, query, id=product, after=cursor)) == []


@ODD_CHARACTERS
@pytest.mark.parametrize("field", ["reference", "idempotencyKey"])
async def test_nul_and_lone_surrogates_in_strings_are_kept_or_invalid(client, product, field, text):
    payload = await mutate(client, "adjustStock", productId=product, **{field: text})
    if payload["userErrors"]:
        assert refused(payload) == [(["input", field], "INVALID_INPUT")]
    elif field == "reference":
        level = (await call(client, LEVEL, id=product))["data"]["stockLevel"]
        assert level["movements"]["nodes"] == [{"reference": text}]


@ODD_CHARACTERS
async def test_nul_and_lone_surrogates_in_ids_and_cursors_find_nothing_or_are_refused(
    client, product, text
):
    payload = await mutate(client, "adjustStock", productId=text)
    assert refused(payload) == [(["input", "productId"], "PRODUCT_NOT_FOUND")]
    assert (await call(client, LEVEL, id=text))["data"]["stockLevel"] is None
    body = await call(client, LEVELS, after=encode_cursor("level", text))
    assert codes(body) == ["BAD_USER_INPUT"]


def nested(hops: int, leaf: str) -> str:
    """stockLevel at depth 0, then `hops` times product { stock { ... } }, then `leaf`."""
    inner = "product { stock { " * hops + leaf + " } }" * hops
    return f"query ($id: ID!) {{ stockLevel(productId: $id) {{ {inner} }} }}"


async def test_recursion_through_stock_and_product_is_served_down_to_depth_twelve(client, product):
    await mutate(client, "adjustStock", productId=product)
    body = await call(client, nested(5, "movements { totalCount }"), id=product)  # depth 12
    assert codes(body) == []
    assert body["data"]["stockLevel"] is not None


async def test_a_thousand_unknown_products_read_as_untracked_zeros(client):
    representations = [{"__typename": "Product", "id": str(uuid.uuid4())} for _ in range(1000)]
    body = await call(client, ENTITIES, r=representations)
    stocks = [entity["stock"] for entity in body["data"]["_entities"]]
    assert stocks == [{"onHand": 0, "tracked": False}] * 1000
