"""The API key every GraphQL POST must carry."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

from subgraph_kit.web.runtime import RuntimeDep


class Unauthenticated(Exception):
    """The request lacks the right `X-API-Key`."""


async def require_api_key(request: Request, runtime: RuntimeDep) -> None:
    """Refuse a GraphQL POST without the right `X-API-Key` (constant-time compare).

    GET only serves GraphiQL (queries over GET are off), so it needs no key.
    """
    if request.method == "GET":
        return
    given = request.headers.get("x-api-key", "").encode()
    if not hmac.compare_digest(given, runtime.settings.api_key.encode()):
        raise Unauthenticated


async def unauthenticated(_: Request, __: Exception) -> JSONResponse:
    """Answer 401 with a GraphQL-shaped error."""
    error = {"message": "Missing or wrong X-API-Key.", "extensions": {"code": "UNAUTHENTICATED"}}
    return JSONResponse(
        {"errors": [error]}, status_code=401, headers={"WWW-Authenticate": "ApiKey"}
    )
