"""The HTTP edge of a subgraph: API key, open routes, body limit, request ids, readiness."""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import AsyncIterator

import pytest
from subgraph_kit_testing.http import API_KEY
from subgraph_kit_testing.tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio

TYPENAME = {"query": "{ __typename }"}
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("X-API-Key", "wrong")],
        [("X-API-Key", "")],
        [("X-API-Key", API_KEY), ("X-API-Key", "other")],
        [("X-API-Key", "other"), ("X-API-Key", API_KEY)],
    ],
    ids=["missing", "wrong", "empty", "right-then-other", "other-then-right"],
)
async def test_graphql_posts_without_the_right_key_are_refused_with_401(anonymous, headers):
    response = await anonymous.post("/graphql", json=TYPENAME, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "ApiKey"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_graphql_posts_with_the_right_key_are_served(client):
    response = await client.post("/graphql", json=TYPENAME)
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("key", [f" {API_KEY}", f"{API_KEY} ", f"\t{API_KEY}  "])
async def test_whitespace_around_the_key_is_not_part_of_it(anonymous, key):
    # HTTP's optional whitespace around a value: uvicorn keeps trailing blanks, Node strips
    # them; every service reads the key the same way.
    response = await anonymous.post("/graphql", json=TYPENAME, headers={"X-API-Key": key})
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("path", ["/health", "/health/ready", "/docs", "/openapi.json"])
async def test_operational_routes_need_no_key(anonymous, path):
    assert (await anonymous.get(path)).status_code == 200


async def test_get_graphql_serves_graphiql_without_a_key(anonymous):
    response = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "/explorer-assets/vendor/graphiql/graphiql.min.js" in response.text


async def test_queries_over_get_are_not_served(client):
    response = await client.get("/graphql", params=TYPENAME)
    assert response.status_code == 400
    assert "not allowed" in response.text


async def test_production_serves_no_graphiql(make_app, make_client):
    anonymous = await make_client(
        make_app(environment="production", api_key="k-8f3a-0c41-77d2-9e1b")
    )
    assert (await anonymous.get("/graphql", headers={"Accept": "text/html"})).status_code == 404


async def test_production_serves_graphiql_when_turned_on(make_app, make_client):
    app = make_app(environment="production", api_key="k-8f3a-0c41-77d2-9e1b", enable_graphiql=True)
    anonymous = await make_client(app)
    assert (await anonymous.get("/graphql", headers={"Accept": "text/html"})).status_code == 200


def body_of(size: int) -> bytes:
    """A GraphQL request body of exactly `size` bytes."""
    empty = json.dumps({**TYPENAME, "padding": ""}).encode()
    return json.dumps({**TYPENAME, "padding": "x" * (size - len(empty))}).encode()


async def test_a_body_as_large_as_the_limit_is_served(make_app, make_client):
    client = await make_client(make_app(max_body_bytes=4096), **{"X-API-Key": API_KEY})
    response = await client.post("/graphql", content=body_of(4096), headers=JSON)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_declared_body_over_the_limit_is_refused_with_413(client):
    response = await client.post("/graphql", content=body_of(MIB + 1), headers=JSON)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_body_over_the_limit_is_refused_with_413(client):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "padding": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("given", [b"order-42", b"caf\xe9 au lait"], ids=["ascii", "latin-1"])
async def test_a_printable_request_id_is_echoed_byte_for_byte(client, given):
    response = await client.post("/graphql", json=TYPENAME, headers={"X-Request-ID": given})
    assert dict(response.headers.raw)[b"x-request-id"] == given


async def test_a_long_request_id_is_cut_to_sixty_four_characters(client):
    response = await client.post("/graphql", json=TYPENAME, headers={"X-Request-ID": "x" * 100})
    assert response.headers["X-Request-ID"] == "x" * 64


@pytest.mark.parametrize("given", [None, b"", b"tab\tinside", b"bell\x07"])
async def test_a_missing_or_unprintable_request_id_is_replaced_by_a_made_one(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    response = await client.post("/graphql", json=TYPENAME, headers=headers)
    assert re.fullmatch("[0-9a-f]{32}", response.headers["X-Request-ID"])


async def test_made_request_ids_differ_between_requests(client):
    first, second = [await client.post("/graphql", json=TYPENAME) for _ in range(2)]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_readiness_reports_the_database_and_the_service_details(anonymous):
    response = await anonymous.get("/health/ready")
    assert response.json() == {"status": "ok", "database": "up", "notes": "ready"}


async def test_readiness_answers_503_at_once_when_the_database_refuses(make_app, make_client):
    app = make_app(database_url="postgresql://postgres@127.0.0.1:1/none")
    anonymous = await make_client(app)
    started = time.monotonic()
    response = await anonymous.get("/health/ready")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down", "notes": "ready"}


async def test_liveness_answers_while_the_database_refuses(make_app, make_client):
    anonymous = await make_client(make_app(database_url="postgresql://postgres@127.0.0.1:1/none"))
    assert (await anonymous.get("/health")).json() == {"status": "ok"}


async def test_readiness_answers_503_within_two_seconds_when_the_database_never_answers(
    make_app, make_client
):
    proxy = TcpProxy(("127.0.0.1", 1))
    proxy.cut("blackhole")
    app = make_app(database_url=f"postgresql://postgres@127.0.0.1:{proxy.port}/none")
    anonymous = await make_client(app)
    started = time.monotonic()
    response = await anonymous.get("/health/ready")
    elapsed = time.monotonic() - started
    proxy.close()
    assert response.status_code == 503
    assert 1.9 < elapsed < 2.5


async def test_start_up_freezes_what_it_made_out_of_full_collections(make_app):
    gc.unfreeze()
    app = make_app()
    assert gc.get_freeze_count() == 0

    async with app.router.lifespan_context(app):
        # Unfrozen, each full collection walked these objects with the event loop stopped.
        assert gc.get_freeze_count() > 10_000
