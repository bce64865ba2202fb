"""The committed schema.graphql is exactly what the code exports (refresh: `make schema`)."""

from subgraph_kit_testing.contract import assert_sdl_matches_snapshot

from app.infrastructure.api.graphql.schema import schema


def test_exported_sdl_equals_the_committed_schema_graphql(service_root):
    assert_sdl_matches_snapshot(schema, service_root)
