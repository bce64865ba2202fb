"""The committed schema.graphql and asyncapi.json are what the code exports (`make schema`)."""

from subgraph_kit_testing.contract import assert_snapshots_match

from app.infrastructure import asyncapi
from app.infrastructure.api.graphql.schema import schema


def test_the_committed_sdl_and_asyncapi_are_what_the_code_exports(service_root):
    assert_snapshots_match(service_root, schema=schema, asyncapi=asyncapi.document())
