"""GraphQL over HTTP as the spec (graphql-http) says: every bad request a clean 4xx with a
GraphQL-shaped JSON body, the `application/graphql-response+json` media type, bounded cost.

Strawberry's router answers malformed bodies (JSON that is not an object, bytes that are not
UTF-8, nesting too deep) with an unhandled exception, its own refusals as plain text, and
matches the content type as a substring (`application/json+evil` passes, `application/JSON`
does not). This router closes those gaps; everything else is Strawberry's.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from fastapi.responses import JSONResponse, Response
from strawberry.types.unset import UNSET

from subgraph_kit.observability.metrics import count_error
from subgraph_kit.web.explorer import GraphiQLRouter

JSON_MEDIA_TYPE = "application/json"
GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json"
# The longest document worth lexing: 3000 tokens (the token limit) of ordinary length fit in
# it, and the pure-Python lexer reads it in tens of milliseconds, on the event loop.
MAX_DOCUMENT_CHARACTERS = 100_000
CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}

_response_media_type: ContextVar[str] = ContextVar("response_media_type", default=JSON_MEDIA_TYPE)


def media_type(header: str | None) -> str:
    """The media type of a Content-Type header, without parameters, lower-cased."""
    return (header or "").split(";", 1)[0].strip().lower()


def negotiate(accept: str | None) -> str:
    """The response media type: graphql-response+json when the client accepts it (the spec's
    recommendation), application/json otherwise (legacy clients, no Accept)."""
    accepted = {media_type(part) for part in (accept or "").split(",")}
    return (
        GRAPHQL_RESPONSE_MEDIA_TYPE if GRAPHQL_RESPONSE_MEDIA_TYPE in accepted else JSON_MEDIA_TYPE
    )


def error_body(message: str, status: int) -> dict[str, Any]:
    return {
        "errors": [{"message": message, "extensions": {"code": CODES.get(status, "BAD_REQUEST")}}]
    }


class CanonicalContentType(StarletteRequestAdapter):
    """The request as Strawberry reads it, with the Content-Type reduced to its media type."""

    @property
    def content_type(self) -> str | None:
        return media_type(super().content_type) or None


class GraphQLHttpRouter(GraphiQLRouter):
    """The subgraph's /graphql: Strawberry's router with the spec's status codes and bodies."""

    request_adapter_class = CanonicalContentType

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        media = negotiate(request.headers.get("accept"))
        token = _response_media_type.set(media)
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as error:
            count_error(CODES.get(error.status_code, "BAD_REQUEST"))
            return JSONResponse(
                error_body(error.reason, error.status_code),
                status_code=error.status_code,
                media_type=media,
            )
        finally:
            _response_media_type.reset(token)

    async def parse_http_body(self, request: Any) -> Any:
        if request.method == "POST" and request.content_type != JSON_MEDIA_TYPE:
            raise HTTPException(415, f"A GraphQL POST must be sent as {JSON_MEDIA_TYPE}.")
        return await super().parse_http_body(request)

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
            raise HTTPException(400, "The request body is not valid JSON.") from None
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        query = decoded.get("query")
        if isinstance(query, str) and len(query) > MAX_DOCUMENT_CHARACTERS:
            raise HTTPException(
                413, f"The GraphQL document exceeds {MAX_DOCUMENT_CHARACTERS} characters."
            )
        return decoded

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media = _response_media_type.get()
        status = sub_response.status_code
        if media == GRAPHQL_RESPONSE_MEDIA_TYPE and is_request_error(response_data):
            # The request never reached execution (parse, validation, variables): no `data`.
            response_data = {key: value for key, value in response_data.items() if key != "data"}
            status = 400
        response = Response(
            self.encode_json(response_data), media_type=media, status_code=status or 200
        )
        response.headers.raw.extend(
            (key, value) for key, value in sub_response.headers.raw if key != b"content-type"
        )
        return response


def is_request_error(response_data: Any) -> bool:
    """Whether an answer holds only errors about the request itself: no data, and no error
    with a `path` (field errors have one, even when they null the whole `data`)."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    errors = response_data.get("errors") or []
    return bool(errors) and all("path" not in error for error in errors)
