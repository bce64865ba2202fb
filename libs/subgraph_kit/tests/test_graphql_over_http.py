"""GraphQL over HTTP as the spec says: every malformed request a 4xx with a GraphQL-shaped JSON
body, one rule for the content type, and the `application/graphql-response+json` media type
with its status codes."""

from __future__ import annotations

import pytest
from subgraph_kit.web.graphql_http import MAX_DOCUMENT_CHARACTERS

pytestmark = pytest.mark.anyio

JSON = {"Content-Type": "application/json"}
GRAPHQL_RESPONSE = "application/graphql-response+json"


def refusal(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    return error["message"]


@pytest.mark.parametrize(
    "body",
    [b"null", b'"a string"', b"5", b"true", b"[]"],
    ids=["null", "string", "number", "boolean", "empty-batch"],
)
async def test_json_that_is_not_an_object_is_a_bad_request(client, body):
    assert refusal(await client.post("/graphql", content=body, headers=JSON), 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b'{"query": "{ __typename }"' * 2],
    ids=["truncated", "not-utf-8", "nested-too-deeply", "two-objects"],
)
async def test_a_body_that_does_not_decode_is_a_bad_request(client, body):
    message = refusal(await client.post("/graphql", content=body, headers=JSON), 400, "BAD_REQUEST")
    assert message == "The request body is not valid JSON."


@pytest.mark.parametrize(
    "body", [{"query": 5}, {"query": "{ __typename }", "variables": [1]}], ids=["query", "vars"]
)
async def test_members_of_the_wrong_type_are_a_bad_request(client, body):
    refusal(await client.post("/graphql", json=body), 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/JSON", "Application/Json; charset=utf-8"]
)
async def test_json_is_recognised_in_any_case_and_with_parameters(client, content_type):
    body = b'{"query": "{ __typename }"}'
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "content_type", ["application/json+evil", "application/jsonx", "text/plain", "text/json"]
)
async def test_other_media_types_are_refused_with_415(client, content_type):
    body = b'{"query": "{ __typename }"}'
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_document_longer_than_the_limit_is_refused_before_lexing(client):
    document = "#" * MAX_DOCUMENT_CHARACTERS + "\n{ __typename }"
    refusal(await client.post("/graphql", json={"query": document}), 413, "PAYLOAD_TOO_LARGE")


async def test_a_document_at_the_limit_is_served(client):
    document = "{ __typename }\n#" + "x" * (MAX_DOCUMENT_CHARACTERS - 17)
    assert len(document) == MAX_DOCUMENT_CHARACTERS - 1
    response = await client.post("/graphql", json={"query": document})
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "request_body",
    [
        {"query": "{"},
        {"query": "{ unknownField }"},
        {"query": "query ($n: Int!) { __typename }", "variables": {"n": "x"}},
    ],
    ids=["parse", "validation", "variables"],
)
async def test_request_errors_are_400_without_data_for_graphql_response_json(client, request_body):
    response = await client.post(
        "/graphql", json=request_body, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"]


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_request_errors_stay_200_for_application_json(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = await client.post("/graphql", json={"query": "{"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_field_error_is_200_with_data_for_graphql_response_json(client):
    response = await client.post(
        "/graphql", json={"query": "{ __typename boom }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" in response.json()


async def test_a_successful_answer_carries_the_media_type_asked_for(client):
    accept = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept}
    )
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}
