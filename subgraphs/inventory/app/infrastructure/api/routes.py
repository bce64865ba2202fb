"""REST endpoints: liveness and readiness."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.infrastructure.api.dependencies import ContainerDep

READY_TIMEOUT_SECONDS = 2
PRODUCTS_PING_SECONDS = 1

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process answers (no I/O)")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Readiness: the database answers (products' reachability is reported, not required)",
    responses={503: {"description": "The database is unreachable"}},
)
async def ready(container: ContainerDep) -> JSONResponse:
    products = "down"
    with anyio.move_on_after(PRODUCTS_PING_SECONDS):
        products = "up" if await container.catalog.ping() else "down"
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await anyio.to_thread.run_sync(container.ping_database, abandon_on_cancel=True)
    except Exception:
        body = {"status": "unavailable", "database": "down", "products": products}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "up", "products": products})
