"""The HTTP surface: API key, open routes, body limit, readiness."""

import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.unit.fakes import FakeCatalog

pytestmark = pytest.mark.anyio

QUERIES = [
    "{ stockLevels { totalCount } }",
    "{ _service { sdl } }",
    '{ _entities(representations: [{__typename: "Product", id: "x"}]) { __typename } }',
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("key", [None, "", "wrong"])
async def test_graphql_posts_without_the_right_key_are_refused(client, query, key):
    client.headers.pop("X-API-Key")
    headers = {} if key is None else {"X-API-Key": key}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
async def test_operational_routes_need_no_key(client, path):
    client.headers.pop("X-API-Key")
    assert (await client.get(path)).status_code == 200


async def test_readiness_reports_products_without_failing_on_it(client, catalog):
    catalog.down = True
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "products": "down"}


async def test_readiness_fails_when_its_own_database_is_down():
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none", api_key="k")
    app = create_app(settings, catalog=FakeCatalog())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down", "products": "up"}


async def test_a_body_over_one_mebibyte_is_refused_with_413(client):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }", "p": "x" * (1024 * 1024)}
    )
    assert response.status_code == 413


def test_production_refuses_default_keys():
    with pytest.raises(ValueError, match="API_KEY"):
        Settings(environment="production", api_key="real", products_api_key="secret")
    with pytest.raises(ValueError, match="API_KEY"):
        Settings(environment="production", api_key="", products_api_key="real")
