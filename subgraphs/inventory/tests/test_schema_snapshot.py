"""The committed schema.graphql is exactly what the code exports (refresh: `make schema`)."""

from pathlib import Path

from app.infrastructure.api.graphql.schema import schema

SNAPSHOT = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_exported_sdl_equals_the_committed_schema_graphql():
    assert SNAPSHOT.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` and commit it (then `make compose`)."
    )
