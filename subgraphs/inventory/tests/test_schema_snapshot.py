"""The committed schema.graphql and asyncapi.json are exactly what the code exports (refresh:
`make schema`)."""

from subgraph_kit_testing.contract import (
    assert_asyncapi_matches_snapshot,
    assert_sdl_matches_snapshot,
)

from app.infrastructure import asyncapi
from app.infrastructure.api.graphql.schema import schema


def test_exported_sdl_equals_the_committed_schema_graphql(service_root):
    assert_sdl_matches_snapshot(schema, service_root)


def test_generated_asyncapi_equals_the_committed_asyncapi_json(service_root):
    assert_asyncapi_matches_snapshot(asyncapi.document(), service_root)
