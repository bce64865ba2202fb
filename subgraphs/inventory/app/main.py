"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
from fastapi import FastAPI
from subgraph_kit.api import create_subgraph_app, every

from app.application.use_cases import purge_idempotency_keys
from app.domain.repositories import ProductCatalog
from app.infrastructure.api.dependencies import InventoryRuntime, get_graphql_context
from app.infrastructure.api.graphql.schema import schema
from app.settings import Settings, get_settings

PURGE_INTERVAL_SECONDS = 300
PRODUCTS_PING_SECONDS = 1
# What GraphiQL on GET /graphql opens with.
EXAMPLE_QUERY = """query StockLevels {
  stockLevels(first: 5) {
    nodes {
      productId
      onHand
      available
      lowStock
    }
  }
}
"""


def create_app(settings: Settings | None = None, catalog: ProductCatalog | None = None) -> FastAPI:
    """Build the inventory service: GraphQL at /graphql, health routes, outbox relay."""
    settings = settings or get_settings()
    runtime = InventoryRuntime(settings, catalog)
    keep = timedelta(hours=settings.idempotency_ttl_hours)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        await runtime.catalog.connect()
        purge = asyncio.create_task(
            every(
                PURGE_INTERVAL_SECONDS, lambda: purge_idempotency_keys(uow=runtime.uow(), keep=keep)
            )
        )
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            await runtime.catalog.close()

    async def products_reachability() -> dict[str, str]:
        # Reported, never required: reads and replays work without products.
        with anyio.move_on_after(PRODUCTS_PING_SECONDS):
            return {"products": "up" if await runtime.catalog.ping() else "down"}
        return {"products": "down"}

    return create_subgraph_app(
        title="inventory",
        summary="The stock subgraph: extends Product with stock levels and movements.",
        runtime=runtime,
        schema=schema,
        context_getter=get_graphql_context,
        readiness_details=products_reachability,
        lifespan=lifespan,
        example_query=EXAMPLE_QUERY,
    )
