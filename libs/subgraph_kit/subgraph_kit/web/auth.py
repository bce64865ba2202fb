"""The API key every GraphQL POST must carry."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

from subgraph_kit.observability.metrics import count_error
from subgraph_kit.web.runtime import RuntimeDep


class Unauthenticated(Exception):
    """The request lacks the right `X-API-Key`."""


def presented_key(request: Request) -> str | None:
    """The one key a request presents, or None when it sends none or several.

    HTTP says the whitespace around a header value is not part of it; servers disagree on
    whether they strip it (uvicorn keeps trailing blanks, Node strips both), so it is stripped
    here, and every service reads a key the same way. Two `X-API-Key` headers are refused,
    not resolved: proxies and servers pick different ones.
    """
    values = request.headers.getlist("x-api-key")
    return values[0].strip(" \t") if len(values) == 1 else None


async def require_api_key(request: Request, runtime: RuntimeDep) -> None:
    """Refuse a GraphQL POST without the right `X-API-Key` (constant-time compare).

    GET only serves GraphiQL (queries over GET are off), so it needs no key.
    """
    if request.method == "GET":
        return
    given = presented_key(request)
    if given is None or not hmac.compare_digest(given.encode(), runtime.settings.api_key.encode()):
        raise Unauthenticated


async def unauthenticated(_: Request, __: Exception) -> JSONResponse:
    """Answer 401 with a GraphQL-shaped error."""
    count_error("UNAUTHENTICATED")
    error = {"message": "Missing or wrong X-API-Key.", "extensions": {"code": "UNAUTHENTICATED"}}
    return JSONResponse(
        {"errors": [error]}, status_code=401, headers={"WWW-Authenticate": "ApiKey"}
    )
