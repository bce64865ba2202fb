"""ENVIRONMENT=production: no introspection unless enabled, and JSON log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from subgraph_kit.api import JsonFormatter

from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import API_KEY

pytestmark = pytest.mark.anyio

INTROSPECTION = "{ __schema { queryType { name } } }"


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": API_KEY}
    ) as client:
        yield client
    app.state.runtime.engine.dispose()


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url, api_key=API_KEY, environment="production")
    async for client in client_for(settings):
        yield client


async def post(client: httpx.AsyncClient, query: str) -> dict:
    return (await client.post("/graphql", json={"query": query})).json()


async def test_production_refuses_introspection(production):
    body = await post(production, INTROSPECTION)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection has been disabled" in body["errors"][0]["message"]


async def test_production_still_serves_the_sdl_and_typename(production):
    body = await post(production, "{ __typename _service { sdl } }")
    assert body["data"]["__typename"] == "Query"
    assert "type Product @key" in body["data"]["_service"]["sdl"]


async def test_production_introspection_can_be_turned_on(database_url):
    settings = Settings(
        database_url=database_url,
        api_key=API_KEY,
        environment="production",
        enable_introspection=True,
    )
    async for client in client_for(settings):
        body = await post(client, INTROSPECTION)
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_development_keeps_introspection(client):
    body = await post(client, INTROSPECTION)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_production_logs_one_json_object_per_line(production):
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert len(handlers) == 1
    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, "got %s", ("it",), None)
    handlers[0].filter(record)
    entry = json.loads(handlers[0].format(record))
    assert entry | {"time": "t"} == {
        "time": "t",
        "level": "WARNING",
        "logger": "app.test",
        "message": "got it",
        "requestId": "-",
    }


async def test_development_logs_plain_lines(client):
    formatters = [h.formatter for h in logging.getLogger().handlers]
    assert not any(isinstance(formatter, JsonFormatter) for formatter in formatters)


async def test_production_serves_no_graphiql(production):
    assert (await production.get("/graphql", headers={"Accept": "text/html"})).status_code == 404


async def test_production_graphiql_can_be_turned_on(database_url):
    settings = Settings(
        database_url=database_url, api_key=API_KEY, environment="production", enable_graphiql=True
    )
    async for client in client_for(settings):
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
