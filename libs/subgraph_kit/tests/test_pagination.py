"""Connections, page sizes, opaque cursors, and loaders keyed by client ids."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest
from strawberry.exceptions import WrongNumberOfResultsReturned
from subgraph_kit.graphql.errors import BadUserInput
from subgraph_kit.graphql.loaders import MAX_BATCH, batch_loader, by_uuid, load_all
from subgraph_kit.graphql.pagination import decode_cursor, encode_cursor

pytestmark = pytest.mark.anyio

PAGE = """query ($first: Int!, $after: String) { notes(first: $first, after: $after) {
  edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    return response.json()


async def write_notes(client: httpx.AsyncClient, count: int) -> list[str]:
    """Write `count` notes; return their ids in the order pages list them."""
    write = 'mutation { writeNote(input: {noteText: "n"}) { note { id } } }'
    ids = [(await post(client, write))["data"]["writeNote"]["note"]["id"] for _ in range(count)]
    return sorted(ids)


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_a_page_size_outside_one_to_a_hundred_is_refused(client, first):
    (error,) = (await post(client, PAGE, first=first))["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "`first` must be between 1 and 100."


@pytest.mark.parametrize("first", [1, 100])
async def test_a_page_size_from_one_to_a_hundred_is_served(client, first):
    assert "errors" not in await post(client, PAGE, first=first)


async def test_pages_walk_every_item_once_in_order(client):
    ids = await write_notes(client, 5)
    seen: list[str] = []
    after = None
    while True:
        connection = (await post(client, PAGE, first=2, after=after))["data"]["notes"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == ids


async def test_page_info_names_the_first_and_last_cursors_and_what_lies_around(client):
    await write_notes(client, 3)
    first = (await post(client, PAGE, first=1))["data"]["notes"]
    after = first["pageInfo"]["endCursor"]
    second = (await post(client, PAGE, first=1, after=after))["data"]["notes"]
    cursor = second["edges"][0]["cursor"]
    assert second["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": True,
        "startCursor": cursor,
        "endCursor": cursor,
    }
    assert first["pageInfo"]["hasPreviousPage"] is False


async def test_an_empty_page_has_no_cursors(client):
    page_info = (await post(client, PAGE, first=5))["data"]["notes"]["pageInfo"]
    assert page_info == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_a_page_costs_one_statement_and_total_count_one_more(client, statements):
    await write_notes(client, 2)
    statements.statements.clear()
    await post(client, "{ notes(first: 5) { nodes { id } } }")
    assert len(statements.selects) == 1
    await post(client, "{ notes(first: 5) { nodes { id } totalCount } }")
    assert len(statements.selects) == 3


def test_a_cursor_decodes_to_the_parts_it_was_made_of():
    cursor = encode_cursor("notes", "Zoë", 42, None, 1.5)
    assert decode_cursor(cursor, kind="notes", parts=4) == ["Zoë", 42, None, 1.5]


def test_a_cursor_of_another_kind_is_refused():
    with pytest.raises(BadUserInput, match="issued for another list or sort order"):
        decode_cursor(encode_cursor("levels", "x"), kind="notes", parts=1)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "!!!!",
        "A" * 10_001,
        "é",
        "\ud800",
        b64(b'{"kind": "notes"}'),
        b64(b"1"),
        b64(b'"notes"'),
        b64(b'["notes"]'),
        b64(b'["notes", "a", "b"]'),
        b64(b"\xff\xfe"),
        b64(b"[" * 100_000),
        encode_cursor("notes", "nul \x00 inside"),
        encode_cursor("notes", "lone \ud800 surrogate"),
    ],
    ids=[
        "garbage",
        "empty",
        "not-base64",
        "long",
        "non-ascii",
        "lone-surrogate",
        "object",
        "number",
        "string",
        "too-short",
        "too-long",
        "not-utf-8",
        "deeply-nested",
        "nul-part",
        "surrogate-part",
    ],
)
def test_a_malformed_cursor_is_refused_as_bad_user_input(cursor):
    with pytest.raises(BadUserInput) as refused:
        decode_cursor(cursor, kind="notes", parts=1)
    assert refused.value.extensions == {"code": "BAD_USER_INPUT"}


async def test_a_deeply_nested_cursor_is_a_client_error_not_a_server_error(client):
    body = await post(client, PAGE, first=1, after=b64(b"[" * 100_000))
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


class RecordingFetch:
    """A fetch function that remembers each call and finds every UUID it is given."""

    def __init__(self) -> None:
        self.calls: list[list[uuid.UUID]] = []

    async def __call__(self, uuids: list[uuid.UUID]) -> list[str]:
        self.calls.append(uuids)
        return [f"found {value}" for value in uuids]


async def test_ids_that_are_no_uuid_find_nothing_without_calling_fetch():
    fetch = RecordingFetch()
    assert await by_uuid(fetch)(["nope", "", "'; DROP TABLE notes; --"]) == [None, None, None]
    assert fetch.calls == []


async def test_loaded_values_keep_the_order_of_the_ids_asked():
    fetch = RecordingFetch()
    a, b = uuid.uuid4(), uuid.uuid4()
    found = await by_uuid(fetch)([str(b), "nope", str(a).upper()])
    assert found == [f"found {b}", None, f"found {a}"]


async def test_a_batch_of_ids_costs_one_fetch():
    fetch = RecordingFetch()
    loader = batch_loader(by_uuid(fetch))
    await asyncio.gather(*(loader.load(str(uuid.uuid4())) for _ in range(MAX_BATCH)))
    assert len(fetch.calls) == 1


async def test_ids_beyond_a_batch_cost_one_more_fetch():
    fetch = RecordingFetch()
    loader = batch_loader(by_uuid(fetch))
    await asyncio.gather(*(loader.load(str(uuid.uuid4())) for _ in range(MAX_BATCH + 1)))
    assert [len(uuids) for uuids in fetch.calls] == [MAX_BATCH, 1]


async def test_load_all_fetches_what_no_load_asked_for_once_and_caches_it():
    fetch = RecordingFetch()
    loader = batch_loader(by_uuid(fetch))
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    assert await loader.load(a) == f"found {a}"
    pending = loader.load(b)  # in a batch not dispatched yet: load_all waits for it
    found = await load_all(loader, [a, b, c, c, "nope"])
    assert found == [f"found {a}", f"found {b}", f"found {c}", f"found {c}", None]
    assert await pending == f"found {b}"
    assert sorted(map(len, fetch.calls)) == [1, 1, 1]  # a, then c (with "nope"), then b
    assert await loader.load(c) == f"found {c}"
    assert len(fetch.calls) == 3


async def test_load_all_goes_by_batches_of_max_batch():
    fetch = RecordingFetch()
    found = await load_all(batch_loader(by_uuid(fetch)), [str(uuid.uuid4()) for _ in range(1001)])
    assert len(found) == 1001
    assert [len(uuids) for uuids in fetch.calls] == [MAX_BATCH, 1]


async def test_load_all_hands_on_a_loaded_exception_and_refuses_a_short_answer():
    async def failing(keys: list[str]) -> list[object]:
        return [ValueError(key) for key in keys]

    with pytest.raises(ValueError, match="k"):
        await load_all(batch_loader(failing), ["k"])

    async def short(keys: list[str]) -> list[object]:
        return []

    with pytest.raises(WrongNumberOfResultsReturned):
        await load_all(batch_loader(short), ["k"])
