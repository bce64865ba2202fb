"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from subgraph_kit.api import create_subgraph_app

from app.infrastructure.api.dependencies import build_runtime, get_graphql_context
from app.infrastructure.api.graphql.schema import schema
from app.settings import Settings, get_settings

# What GraphiQL on GET /graphql opens with.
EXAMPLE_QUERY = """query FirstProducts {
  products(first: 5) {
    nodes {
      id
      sku
      name
      price { amount currencyCode }
    }
  }
}
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the products service: GraphQL at /graphql, health routes, outbox relay."""
    return create_subgraph_app(
        title="products",
        summary="The catalog subgraph: owns the Product entity.",
        runtime=build_runtime(settings or get_settings()),
        schema=schema,
        context_getter=get_graphql_context,
        example_query=EXAMPLE_QUERY,
    )
