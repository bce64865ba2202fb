"""Calling a subgraph in tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

API_KEY = "test-key"
# A database URL that is refused at once: for apps tested without a database.
UNREACHABLE_DATABASE_URL = "postgresql://postgres@127.0.0.1:1/none"


@contextlib.asynccontextmanager
async def in_process(app: Any, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of an ASGI app, in process, sending `headers` with every request."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as client:
        yield client


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded body (asserting HTTP 200)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


JSON = {"Content-Type": "application/json"}


def sound(response: httpx.Response) -> dict[str, Any]:
    """Assert the answer is no server error, and return its JSON body."""
    assert response.status_code < 500, response.text
    assert "INTERNAL_SERVER_ERROR" not in response.text, response.text
    return response.json()


async def call(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST an operation as ASCII JSON (httpx's `json=` cannot encode lone surrogates), and
    return its body after asserting it is no server error."""
    body = json.dumps({"query": query, "variables": variables})
    return sound(await client.post("/graphql", content=body, headers=JSON))


def codes(body: dict[str, Any]) -> list[str]:
    """The `extensions.code` of each top-level error of a GraphQL answer."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def entities(
    client: httpx.AsyncClient, query: str, ids: list[str], *, typename: str = "Product"
) -> list[Any]:
    """Resolve `ids` of `typename` through `_entities` (`query` takes `$representations`)."""
    representations = [{"__typename": typename, "id": entity_id} for entity_id in ids]
    return (await graphql(client, query, representations=representations))["data"]["_entities"]
