"""The REST routes of the inventory: liveness, readiness that reports products, and the
AsyncAPI document of its events."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from subgraph_kit.web.asyncapi import asyncapi_router
from subgraph_kit.web.health import health_router

from app.infrastructure import asyncapi
from app.infrastructure.products_client import CatalogClient

PRODUCTS_PING_SECONDS = 1


def rest_routes(catalog: CatalogClient) -> APIRouter:
    """Every REST route of this service (FastAPI serves /docs and /openapi.json beside them)."""

    async def products_reachability() -> dict[str, str]:
        # Reported, never required: reads and replays work without products.
        with anyio.move_on_after(PRODUCTS_PING_SECONDS):
            return {"products": "up" if await catalog.ping() else "down"}
        return {"products": "down"}

    router = APIRouter()
    router.include_router(health_router(products_reachability))
    router.include_router(asyncapi_router(asyncapi.document))
    return router
