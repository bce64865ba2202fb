"""Checks every subgraph owes its clients; a service's test module calls them.

- the SDL the code exports is the committed `schema.graphql` (`make schema` refreshes it);
- the migrations build exactly the tables the models describe.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from strawberry import Schema

from subgraph_kit_testing.databases import schema_drift


def assert_sdl_matches_snapshot(schema: Schema, service_root: Path) -> None:
    """Fail, naming the fix, when `schema.graphql` differs from what the code exports."""
    snapshot = service_root / "schema.graphql"
    assert snapshot.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` and commit it (then `make compose`)."
    )


def assert_migrations_match_models(engine: sa.Engine, metadata: sa.MetaData) -> None:
    """Fail when autogenerate would still write something (a model changed without a migration)."""
    assert schema_drift(engine, metadata) == []
