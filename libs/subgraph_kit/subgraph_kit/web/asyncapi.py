"""`GET /asyncapi.json`: the AsyncAPI document of the events a service publishes and consumes."""

from __future__ import annotations

import functools
from collections.abc import Callable

from fastapi import APIRouter, Response


def asyncapi_router(document: Callable[[], str]) -> APIRouter:
    """Serve `document()` (made on the first request, then kept) as `/asyncapi.json`."""
    router = APIRouter(tags=["events"])
    made = functools.cache(document)

    @router.get(
        "/asyncapi.json",
        summary="The AsyncAPI 3.0 document of this service's events",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}}},
    )
    async def asyncapi() -> Response:
        return Response(made(), media_type="application/json")

    return router
