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


def assert_snapshots_match(service_root: Path, *, schema: Schema, asyncapi: str) -> None:
    """Fail, naming the fix, when `schema.graphql` differs from the SDL `schema` exports or
    `asyncapi.json` from the AsyncAPI document the code makes."""
    stale = [
        name
        for name, made in (("schema.graphql", schema.as_str() + "\n"), ("asyncapi.json", asyncapi))
        if (service_root / name).read_text() != made
    ]
    assert stale == [], (
        f"{' and '.join(stale)} stale: run `make schema` and commit (then `make compose`)."
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
