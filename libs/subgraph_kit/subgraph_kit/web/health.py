"""Liveness and readiness routes; a service adds what its readiness reports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from subgraph_kit.web.runtime import RuntimeDep

READY_TIMEOUT_SECONDS = 2

ReadinessDetails = Callable[[], Awaitable[dict[str, str]]]


def health_router(readiness_details: ReadinessDetails | None = None) -> APIRouter:
    """`/health` (no I/O) and `/health/ready` (503 while the database does not answer)."""
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness: the process answers (no I/O)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="Readiness: the database answers",
        responses={503: {"description": "The database is unreachable"}},
    )
    async def ready(runtime: RuntimeDep) -> JSONResponse:
        details = await readiness_details() if readiness_details else {}
        try:
            with anyio.fail_after(READY_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(runtime.ping_database, abandon_on_cancel=True)
        except Exception:
            body = {"status": "unavailable", "database": "down", **details}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "up", **details})

    return router
