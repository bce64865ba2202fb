"""Checks every subgraph owes its clients; a service's test module calls them.

- the SDL the code exports is the committed `schema.graphql` (`make schema` refreshes it);
- the AsyncAPI document the code generates is the committed `asyncapi.json` (the same);
- the migrations build exactly the tables the models describe.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import httpx
import sqlalchemy as sa
from strawberry import Schema

from subgraph_kit_testing.databases import schema_drift


def assert_sdl_matches_snapshot(schema: Schema, service_root: Path) -> None:
    """Fail, naming the fix, when `schema.graphql` differs from what the code exports."""
    snapshot = service_root / "schema.graphql"
    assert snapshot.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` and commit it (then `make compose`)."
    )


def assert_asyncapi_matches_snapshot(document: str, service_root: Path) -> None:
    """Fail, naming the fix, when `asyncapi.json` differs from the document the code makes."""
    snapshot = service_root / "asyncapi.json"
    assert snapshot.read_text() == document, (
        "asyncapi.json is stale: run `make schema` and commit it."
    )


async def assert_serves_asyncapi(
    client: httpx.AsyncClient, service_root: Path, routing_keys: Iterable[str]
) -> None:
    """`GET /asyncapi.json` answers the committed document, with a channel per routing key."""
    response = await client.get("/asyncapi.json")
    assert response.headers["content-type"] == "application/json"
    assert response.text == (service_root / "asyncapi.json").read_text()
    addresses = {channel["address"] for channel in response.json()["channels"].values()}
    assert set(routing_keys) <= addresses


def assert_migrations_match_models(engine: sa.Engine, metadata: sa.MetaData) -> None:
    """Fail when autogenerate would still write something (a model changed without a migration)."""
    assert schema_drift(engine, metadata) == []
