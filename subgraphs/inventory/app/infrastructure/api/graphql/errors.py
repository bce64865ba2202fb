"""GraphQL error policy: user errors for broken rules, codes and masking for the rest."""

from __future__ import annotations

import enum
import logging

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import MaskErrors

from app.domain.errors import DomainError
from app.infrastructure.api.middleware import current_request_id

logger = logging.getLogger("app.graphql")


@strawberry.enum
class UserErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PRODUCTS_UNAVAILABLE = "PRODUCTS_UNAVAILABLE"


@strawberry.federation.type(shareable=True)
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode


class BadUserInput(GraphQLError):
    """A request argument the API refuses; shown to the client with code BAD_USER_INPUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(
    error: DomainError | ValidationError, *, prefix: tuple[str, ...] = ("input",)
) -> list[UserError]:
    """Translate a broken rule or refused input into userErrors; paths start at `prefix`."""
    if isinstance(error, DomainError):
        path = [*prefix, *error.field] if error.field else None
        return [UserError(field=path, message=error.message, code=UserErrorCode(error.code))]
    return [
        UserError(
            field=[*prefix, *(camel(str(part)) for part in detail["loc"])],
            message=detail["msg"].removeprefix("Value error, "),
            code=UserErrorCode.INVALID_INPUT,
        )
        for detail in error.errors()
    ]


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by our code that are not deliberate GraphQL errors."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Hide unexpected exceptions behind INTERNAL_SERVER_ERROR and log them with the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_request_id()
        logger.error(
            "unexpected error in %s (request %s)",
            ".".join(map(str, error.path or ())) or "operation",
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


def label_request_errors(errors: list[GraphQLError]) -> None:
    """Give errors about the request itself (no path: parsing, validation, variables) a code."""
    for error in errors:
        if error.path is None and not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}


def request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"
