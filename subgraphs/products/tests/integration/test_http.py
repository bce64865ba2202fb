"""The HTTP surface: API key, open routes, body limit, health."""

import httpx
import pytest

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.anyio

QUERIES = [
    "{ products { totalCount } }",
    "{ _service { sdl } }",
    '{ _entities(representations: [{__typename: "Product", id: "x"}]) { __typename } }',
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("key", [None, "", "wrong", "test-key "])
async def test_graphql_posts_without_the_right_key_are_refused(client, query, key):
    headers = {} if key is None else {"X-API-Key": key}
    client.headers.pop("X-API-Key")
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["/health", "/health/ready", "/docs", "/openapi.json"])
async def test_operational_routes_need_no_key(client, path):
    client.headers.pop("X-API-Key")
    assert (await client.get(path)).status_code == 200


async def test_get_graphql_serves_graphiql_without_a_key(client):
    client.headers.pop("X-API-Key")
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_over_get_are_not_served(client):
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 400
    assert "not allowed" in response.text


async def test_a_body_over_one_mebibyte_is_refused_with_413(client):
    padding = "x" * (1024 * 1024)
    response = await client.post("/graphql", json={"query": "{ __typename }", "p": padding})
    assert response.status_code == 413


async def test_readiness_reports_a_dead_database_with_503():
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none", api_key="k")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/health/ready")
        assert (await http.get("/health")).status_code == 200
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


async def test_postgres_connections_carry_the_statement_timeout(app, is_postgres):
    if not is_postgres:
        pytest.skip("statement_timeout is a Postgres setting")
    with app.state.runtime.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
