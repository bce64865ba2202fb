"""The REST routes of the catalog: liveness, readiness (the database answers) and the AsyncAPI
document of its events."""

from __future__ import annotations

from fastapi import APIRouter
from subgraph_kit.web.asyncapi import asyncapi_router
from subgraph_kit.web.health import health_router

from app.infrastructure import asyncapi


def rest_routes() -> APIRouter:
    """Every REST route of this service (FastAPI serves /docs and /openapi.json beside them)."""
    router = APIRouter()
    router.include_router(health_router())
    router.include_router(asyncapi_router(asyncapi.document))
    return router
