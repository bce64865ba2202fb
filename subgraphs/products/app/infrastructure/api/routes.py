"""The REST routes of the catalog: liveness and readiness (the database answers)."""

from __future__ import annotations

from fastapi import APIRouter
from subgraph_kit.web.health import health_router


def rest_routes() -> APIRouter:
    """Every REST route of this service (FastAPI serves /docs and /openapi.json beside them)."""
    router = APIRouter()
    router.include_router(health_router())
    return router
