"""The limits of SubgraphSchema: aliases, tokens, depth and `_entities` representations."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

ENTITIES = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Note { id text } } }"
ZERO_ID = "00000000-0000-0000-0000-000000000000"


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: __typename" for n in range(count)) + " }"


def tokens(count: int) -> str:
    """A valid document of exactly `count` tokens: an `_entities` call with literal objects."""
    objects, spare = divmod(count - 12, 8)  # 12 tokens around the list, 8 per object
    listed = " ".join('{__typename: "Note", id: "x"}' for _ in range(objects))
    return f"{{ _entities(representations: [{listed}]) {{ {'__typename ' * (1 + spare)}}} }}"


def nested(depth: int) -> str:
    """`nest` with a scalar `depth` levels below it."""
    return "{ nest { " + "inner { " * (depth - 1) + "level" + " }" * depth + " }"


def representations(count: int) -> list[dict[str, str]]:
    return [{"__typename": "Note", "id": str(uuid.uuid4())} for _ in range(count)]


async def test_thirty_aliases_are_served(client):
    body = await post(client, aliases(30))
    assert codes(body) == []
    assert len(body["data"]) == 30


async def test_thirty_one_aliases_are_refused(client):
    body = await post(client, aliases(31))
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "31 aliases found. Allowed: 30"


async def test_a_document_of_three_thousand_tokens_is_served(client):
    assert codes(await post(client, tokens(3000))) == []


async def test_a_document_of_three_thousand_and_one_tokens_is_refused(client):
    body = await post(client, tokens(3001))
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "more than 3000 tokens" in body["errors"][0]["message"]


async def test_a_query_twelve_levels_deep_is_served(client):
    body = await post(client, nested(12))
    assert codes(body) == []


async def test_a_query_thirteen_levels_deep_is_refused(client):
    body = await post(client, nested(13))
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]


async def test_depth_is_counted_through_fragments(client):
    inners = "{ " + "inner { " * 12 + "level" + " }" * 13  # under `nest`: 13 levels
    body = await post(client, f"{{ nest {{ ...Deep }} }} fragment Deep on Nest {inners}")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_circular_fragments_are_refused_with_a_clear_message(client):
    body = await post(client, "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "Cannot spread fragment 'A' within itself via 'B'."


async def test_a_thousand_representations_are_served(client):
    body = await post(client, ENTITIES, r=representations(1000))
    assert body == {"data": {"_entities": [None] * 1000}}


async def test_a_thousand_representations_cost_one_select(client, statements):
    await post(client, ENTITIES, r=representations(1000))
    assert len(statements.selects) == 1


async def test_a_thousand_and_one_representations_are_refused(client):
    body = await post(client, ENTITIES, r=representations(1001))
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "at most 1000 representations" in body["errors"][0]["message"]


async def test_entities_come_back_in_the_order_asked_with_null_for_unknown_ids(client):
    write = "mutation ($t: String!) { writeNote(input: {noteText: $t}) { note { id text } } }"
    a, b = [(await post(client, write, t=text))["data"]["writeNote"]["note"] for text in "ab"]
    asked = [b["id"], str(uuid.uuid4()), a["id"], "not-a-uuid"]
    body = await post(client, ENTITIES, r=[{"__typename": "Note", "id": i} for i in asked])
    assert body == {"data": {"_entities": [b, None, a, None]}}


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "Other", "id": ZERO_ID},
        {"__typename": "UserError", "id": ZERO_ID},
        {"__typename": 5, "id": ZERO_ID},
        {"__typename": ["Note"], "id": ZERO_ID},
        {"id": ZERO_ID},
        {"__typename": "Note"},
        {"__typename": "Note", "id": ZERO_ID, "text": "extra"},
        {"__typename": "Note", "id": [ZERO_ID]},
        {"__typename": "Note", "id": {"nested": ZERO_ID}},
        {"__typename": "Note", "id": 1.5},
        ZERO_ID,
        [ZERO_ID],
        None,
    ],
    ids=[
        "unknown-type",
        "no-entity",
        "typename-number",
        "typename-list",
        "no-typename",
        "no-key",
        "extra-field",
        "key-list",
        "key-object",
        "key-float",
        "string",
        "list",
        "null",
    ],
)
async def test_malformed_representations_are_refused_as_bad_user_input(client, representation):
    body = await post(client, ENTITIES, r=[representation])
    assert codes(body) == ["BAD_USER_INPUT"]
