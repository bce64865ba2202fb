"""The local gateway's HTTP edge (gateway/gateway.mjs, gateway/edge.mjs) on real processes.

Client mistakes get a 4xx with a GraphQL-shaped body (never a 5xx), answered as the
GraphQL-over-HTTP spec says for the media type asked; every GraphQL request needs a key that a
subgraph accepts, also when no subgraph is needed to answer it; subgraph calls time out;
`ENVIRONMENT=production` turns introspection and GraphiQL off as on the subgraphs; masked
errors carry the request id. graphql-http's audit passes on the gateway and both subgraphs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from stack import ROOT, CountingProxy, Stack, node_binary, running_stack

import runner

GRAPHQL_RESPONSE = "application/graphql-response+json"
INTROSPECTION = {"query": "{ __schema { queryType { name } } }"}
TYPENAME = {"query": "{ __typename }"}
CATALOG = {"query": "{ products(first: 1) { totalCount } }"}
UNAUTHENTICATED = {
    "data": None,
    "errors": [
        {"message": "Missing or wrong X-API-Key.", "extensions": {"code": "UNAUTHENTICATED"}}
    ],
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("gateway-edge"), api_key) as stack:
        yield stack


@pytest.fixture
def client(stack: Stack, api_key: str) -> Iterator[httpx.Client]:
    headers = {"X-API-Key": api_key}
    with httpx.Client(
        base_url=stack.gateway_url, headers=headers, timeout=15, trust_env=False
    ) as c:
        yield c


@contextlib.contextmanager
def gateway(stack: Stack, tmp_path: Path, **env: str) -> Iterator[str]:
    """Another gateway on the stack's subgraphs with `env` added; yields its URL."""
    urls = {
        "PRODUCTS_URL": stack["products"].graphql_url,
        "INVENTORY_URL": stack["inventory"].graphql_url,
        "ENVIRONMENT": "development",
    }
    built: list[runner.Process] = []

    def build() -> list[runner.Process]:
        built[:] = [runner.gateway(runner.free_ports(1)[0], urls | env, log=tmp_path / "gw.log")]
        return built

    runner.start(build)
    try:
        yield built[0].graphql_url
    finally:
        runner.stop(built)


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections and reads requests but never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/graphql"
    finally:
        done.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def assert_client_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"][0]["extensions"]["code"] == code, body


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "query A { __typename }", "operationName": "B"}, 'Unknown operation named "B".'),
        (
            {"query": "query A { __typename } query B { __typename }"},
            "Must provide operation name if query contains multiple operations.",
        ),
    ],
)
def test_an_operation_the_request_does_not_pick_is_a_400(
    client: httpx.Client, accept: str, body: dict[str, str], message: str
) -> None:
    response = client.post("/", json=body, headers={"accept": accept})

    assert_client_error(response, 400, "BAD_REQUEST")
    assert response.json()["errors"][0]["message"] == message
    assert response.headers["content-type"].startswith(accept)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query ($n: Int!) { products(first: $n) { totalCount } }", "variables": {}},
            "BAD_USER_INPUT",
        ),
    ],
)
def test_request_errors_are_200_under_json_and_400_under_graphql_response_json(
    client: httpx.Client, body: dict[str, object], code: str
) -> None:
    legacy = client.post("/", json=body, headers={"accept": "application/json"})
    modern = client.post("/", json=body, headers={"accept": GRAPHQL_RESPONSE})

    assert_client_error(legacy, 200, code)
    assert_client_error(modern, 400, code)


@pytest.mark.parametrize(
    "raw",
    [b"null", b'"query"', b"1", b"true", b"[]", b"{", b'{"query": "\xff"}', b"[" * 100_000],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/", content=raw, headers={"content-type": "application/json"})

    assert_client_error(response, 400, "BAD_REQUEST")


def test_oversized_bodies_and_documents_are_413(client: httpx.Client) -> None:
    document = {"query": "{ __typename }" + " " * 100_000}
    body = b'{"query": "{ __typename }", "padding": "' + b"x" * (1024 * 1024) + b'"}'

    assert_client_error(client.post("/", json=document), 413, "PAYLOAD_TOO_LARGE")
    big = client.post("/", content=body, headers={"content-type": "application/json"})
    assert_client_error(big, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json+evil", "application/graphql", ""]
)
def test_a_post_of_another_media_type_is_415(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        "/", content=b'{"query": "{ __typename }"}', headers={"content-type": content_type}
    )

    assert_client_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_the_json_media_type_is_read_whatever_its_case_and_parameters(client: httpx.Client) -> None:
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    response = client.post("/", content=b'{"query": "{ __typename }"}', headers=headers)

    assert response.json() == {"data": {"__typename": "Query"}}


def test_an_accept_header_without_a_json_type_is_406(client: httpx.Client) -> None:
    response = client.post("/", json=TYPENAME, headers={"accept": "text/plain"})

    assert_client_error(response, 406, "BAD_REQUEST")


@pytest.mark.parametrize("body", [INTROSPECTION, TYPENAME, {"query": "{ nope }"}, CATALOG])
@pytest.mark.parametrize(
    "keys", [[], [""], ["wrong-key-of-some-length"], ["{key}", "{key}"]], ids=str
)
def test_every_graphql_request_needs_one_key_a_subgraph_accepts(
    stack: Stack, api_key: str, body: dict[str, str], keys: list[str]
) -> None:
    headers = [("X-API-Key", key.format(key=api_key)) for key in keys]
    with httpx.Client(trust_env=False, timeout=15) as client:
        response = client.post(stack.gateway_url, json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == UNAUTHENTICATED


def test_the_key_is_read_without_the_whitespace_around_it(stack: Stack, api_key: str) -> None:
    # httpx refuses to send a padded header value; http.client sends it as given.
    gateway = stack["gateway"]
    connection = http.client.HTTPConnection(gateway.host, gateway.port, timeout=15)
    try:
        headers = {"X-API-Key": f" {api_key}\t", "Content-Type": "application/json"}
        connection.request("POST", "/", body=json.dumps(TYPENAME), headers=headers)
        body = json.loads(connection.getresponse().read())
    finally:
        connection.close()

    assert body == {"data": {"__typename": "Query"}}


def test_a_frozen_subgraph_times_out_with_the_request_id_and_the_rest_is_answered(
    stack: Stack, api_key: str, tmp_path: Path
) -> None:
    query = {
        "query": "query ($id: ID!) { products(first: 1) { totalCount } stockLevel(productId: $id)"
        " { onHand } }",
        "variables": {"id": "00000000-0000-4000-8000-000000000000"},
    }
    headers = {"X-API-Key": api_key, "X-Request-ID": "frozen-1"}
    with (
        silent_server() as frozen,
        gateway(stack, tmp_path, INVENTORY_URL=frozen, SUBGRAPH_TIMEOUT_MS="1000") as url,
    ):
        started = time.monotonic()
        response = httpx.post(url, json=query, headers=headers, timeout=15, trust_env=False)
        elapsed = time.monotonic() - started

    body = response.json()
    assert response.status_code == 200, body
    assert 1.0 <= elapsed < 5.0
    assert body["data"] == {"products": {"totalCount": 0}, "stockLevel": None}
    [error] = body["errors"]
    assert error["message"] == "The inventory subgraph did not answer within 1000 ms."
    assert error["extensions"] == {"code": "TIMEOUT", "requestId": "frozen-1"}


def test_a_masked_gateway_error_carries_the_request_id(
    stack: Stack, api_key: str, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{runner.free_ports(1)[0]}/graphql"
    with gateway(stack, tmp_path, INVENTORY_URL=closed) as url:
        response = httpx.post(
            url,
            json={"query": "{ stockLevels(first: 1) { totalCount } }"},
            headers={"X-API-Key": api_key},
            trust_env=False,
        )

    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }
    assert "127.0.0.1" not in response.text


def test_the_request_id_is_the_callers_or_a_new_one(client: httpx.Client) -> None:
    given = client.post("/", json=TYPENAME, headers={"X-Request-ID": "abc-123"})
    made = client.post("/", json=TYPENAME)
    unprintable = client.post("/", json=TYPENAME, headers={"X-Request-ID": "a b"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert unprintable.headers["x-request-id"] not in ("a b", made.headers["x-request-id"])


def test_the_key_request_id_and_trace_context_reach_the_subgraph_and_nothing_else(
    stack: Stack, api_key: str, tmp_path: Path
) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    sent = {
        "X-API-Key": api_key,
        "X-Request-ID": "trace-1",
        "traceparent": traceparent,
        "tracestate": "vendor=1",
        "Authorization": "Bearer not-for-subgraphs",
        "Cookie": "session=1",
    }
    query = {"query": "{ stockLevels(first: 1) { totalCount } }"}
    with CountingProxy() as proxy:
        proxy.target = stack["inventory"].url
        with gateway(stack, tmp_path, INVENTORY_URL=proxy.url + "/graphql") as url:
            httpx.post(url, json=query, headers=sent, trust_env=False)

    [request] = proxy.requests
    assert request.headers["x-api-key"] == api_key
    assert request.headers["x-request-id"] == "trace-1"
    assert request.headers["traceparent"] == traceparent
    assert request.headers["tracestate"] == "vendor=1"
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers


def test_production_serves_no_introspection_or_graphiql(
    stack: Stack, api_key: str, tmp_path: Path
) -> None:
    headers = {"X-API-Key": api_key}
    with gateway(stack, tmp_path, ENVIRONMENT="production") as url:
        introspection = httpx.post(url, json=INTROSPECTION, headers=headers, trust_env=False)
        page = httpx.get(url, headers={"accept": "text/html"}, trust_env=False)
        asset = httpx.get(url + "explorer-assets/graphiql-start.js", trust_env=False)
        catalog = httpx.post(url, json=CATALOG, headers=headers, trust_env=False)

    assert_client_error(introspection, 200, "GRAPHQL_VALIDATION_FAILED")
    assert page.status_code == 404
    assert asset.status_code == 404
    assert catalog.json() == {"data": {"products": {"totalCount": 0}}}


def test_production_serves_them_when_enabled(stack: Stack, api_key: str, tmp_path: Path) -> None:
    headers = {"X-API-Key": api_key}
    env = {"ENVIRONMENT": "production", "ENABLE_INTROSPECTION": "true", "ENABLE_GRAPHIQL": "1"}
    with gateway(stack, tmp_path, **env) as url:
        introspection = httpx.post(url, json=INTROSPECTION, headers=headers, trust_env=False)
        page = httpx.get(url, headers={"accept": "text/html"}, trust_env=False)

    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert page.status_code == 200
    assert "GraphiQL" in page.text


@pytest.mark.parametrize(
    "env",
    [{"ENVIRONMENT": "staging"}, {"ENABLE_GRAPHIQL": "maybe"}, {"SUBGRAPH_TIMEOUT_MS": "0"}],
    ids=str,
)
def test_a_wrong_setting_stops_the_gateway_at_start(env: dict[str, str]) -> None:
    result = subprocess.run(
        [node_binary(), "gateway.mjs"],
        cwd=ROOT / "gateway",
        env={"PATH": "/usr/bin:/bin", "PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert next(iter(env)) in result.stderr


@pytest.mark.parametrize("target", ["gateway", "products", "inventory"])
def test_graphql_http_audit_finds_no_must_or_should_failure(
    stack: Stack, api_key: str, target: str
) -> None:
    url = stack.gateway_url if target == "gateway" else stack[target].graphql_url
    result = subprocess.run(
        [node_binary(), "audit.mjs", url, f"X-API-Key={api_key}"],
        cwd=ROOT / "gateway",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed MUST 0, SHOULD 0" in result.stdout
