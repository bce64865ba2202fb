"""What SubgraphSchema adds around execution: the introspection switch and the caches."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache
from tiny_subgraph.api import schema

pytestmark = pytest.mark.anyio

INTROSPECTION = {
    "schema": "{ __schema { queryType { name } } }",
    "type": '{ __type(name: "Note") { name } }',
}


async def production(make_app, make_client, **settings: Any) -> Any:
    app = make_app(environment="production", api_key="k-8f3a-0c41-77d2-9e1b", **settings)
    return await make_client(app, **{"X-API-Key": "k-8f3a-0c41-77d2-9e1b"})


async def post(client: Any, query: str) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query})).json()


@pytest.mark.parametrize("field", ["schema", "type"])
async def test_production_refuses_introspection(make_app, make_client, field):
    body = await post(await production(make_app, make_client), INTROSPECTION[field])
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection has been disabled" in body["errors"][0]["message"]


async def test_production_still_serves_the_sdl_and_typename(make_app, make_client):
    body = await post(await production(make_app, make_client), "{ __typename _service { sdl } }")
    assert body["data"]["__typename"] == "Query"
    assert 'type Note @key(fields: "id")' in body["data"]["_service"]["sdl"]


async def test_production_serves_introspection_when_turned_on(make_app, make_client):
    client = await production(make_app, make_client, enable_introspection=True)
    body = await post(client, INTROSPECTION["schema"])
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_development_serves_introspection(client):
    body = await post(client, INTROSPECTION["schema"])
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_a_schema_executed_outside_an_app_keeps_introspection():
    result = await schema.execute(INTROSPECTION["schema"])
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_a_validation_result_is_cached_across_requests(client):
    cache = _get_validate_cache(DEFAULT_MAXSIZE)
    query = f'{{ note(id: "{uuid.uuid4()}") {{ id }} }}'  # a text no other test sends
    await post(client, query)
    hits = cache.cache_info().hits
    await post(client, query)
    assert cache.cache_info().hits == hits + 1


async def test_a_cached_validation_never_lets_introspection_through_in_production(
    make_app, make_client, client
):
    await post(client, INTROSPECTION["schema"])  # valid, and cached, in development
    body = await post(await production(make_app, make_client), INTROSPECTION["schema"])
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
