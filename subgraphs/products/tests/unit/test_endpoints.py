"""The catalog's HTTP endpoints, without a database: what answers with no I/O, and what the
REST surface offers (the ASGI app in process; its database URL points nowhere)."""

import pytest
from subgraph_kit.messaging.messages import routing_key
from subgraph_kit_testing.contract import assert_serves_asyncapi
from subgraph_kit_testing.http import UNREACHABLE_DATABASE_URL, in_process

from app.application.event_publisher import PUBLISHED_EVENTS, RENAMED
from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http():
    settings = Settings(database_url=UNREACHABLE_DATABASE_URL, api_key="unit-key")
    async with in_process(create_app(settings)) as client:
        yield client


async def test_readiness_fails_while_the_database_does_not_answer(http):
    response = await http.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


async def test_the_http_surface_is_graphql_the_health_routes_and_asyncapi(http):
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert sorted(paths) == ["/asyncapi.json", "/graphql", "/health", "/health/ready"]


async def test_graphiql_opens_on_an_example_catalog_query(http):
    page = (await http.get("/graphql", headers={"Accept": "text/html"})).text
    assert "products(first: 5)" in page


async def test_a_graphql_post_without_the_key_is_refused_before_any_query_runs(http):
    response = await http.post("/graphql", json={"query": "{ products { totalCount } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_asyncapi_json_is_the_committed_document_with_a_channel_per_event(http, service_root):
    keys = [routing_key(event.name, RENAMED) for event in PUBLISHED_EVENTS]
    await assert_serves_asyncapi(http, service_root, keys)
