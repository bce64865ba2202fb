"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from subgraph_kit.messaging.sinks import event_sink
from subgraph_kit.web.app import create_subgraph_app

from app.application.event_publisher import EXCHANGE, RENAMED, outbox_relay
from app.infrastructure.api.dependencies import build_runtime, get_graphql_context
from app.infrastructure.api.graphql.schema import schema
from app.infrastructure.api.routes import rest_routes
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
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    return create_subgraph_app(
        title="products",
        summary="The catalog subgraph: owns the Product entity.",
        runtime=runtime,
        schema=schema,
        context_getter=get_graphql_context,
        routes=rest_routes(),
        relay=outbox_relay(
            runtime.uow,
            sink=event_sink(settings, exchange=EXCHANGE, renamed=RENAMED),
            interval=settings.outbox_poll_seconds,
        ),
        example_query=EXAMPLE_QUERY,
    )
