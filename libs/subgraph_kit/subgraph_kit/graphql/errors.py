"""The GraphQL error policy: user errors for broken rules, client errors for bad requests,
and masked, logged server errors for everything unexpected."""

# No `from __future__ import annotations`: `user_error_type` annotates a field with a class
# it receives, which Strawberry must see as an object, not a string.

import enum
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import MaskErrors

from subgraph_kit.core.commands import storable
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.naming import camel
from subgraph_kit.observability.metrics import count_user_errors
from subgraph_kit.web.request_id import current_request_id

logger = logging.getLogger("app.graphql")


def user_error_codes(*errors: type[DomainError]) -> type[enum.Enum]:
    """The `UserErrorCode` enum of a subgraph: the `code` of each of its domain errors."""
    return strawberry.enum(enum.Enum("UserErrorCode", {error.code: error.code for error in errors}))


def user_error_type(codes: type[enum.Enum]) -> type:
    """The `UserError` type of a subgraph whose codes are `codes` (a `@strawberry.enum`).

    Each subgraph lists its own codes; composition merges the enums, and `UserError` itself is
    `@shareable` and identical in every subgraph.
    """

    @strawberry.federation.type(name="UserError", shareable=True)
    class UserError:
        field: list[str] | None
        message: str
        code: codes  # type: ignore[valid-type]

    return UserError


class RuleBroken(Protocol):
    """What a domain exception offers the edge: a code, a message, and the input it is about."""

    code: str
    message: str
    field: tuple[str, ...] | None


class UserErrors:
    """Translate a broken rule or refused input into a subgraph's userErrors."""

    def __init__(self, user_error: type, codes: type[enum.Enum]) -> None:
        self.user_error = user_error
        self.codes = codes
        self.invalid_input = codes("INVALID_INPUT")

    def __call__(
        self,
        error: RuleBroken | ValidationError,
        *,
        prefix: tuple[str, ...] = ("input",),
        arguments: Mapping[str, str] | None = None,
    ) -> list[Any]:
        """Field paths go under `prefix` (the input argument), except those starting with a
        name in `arguments`, which are top-level arguments (mapped to their GraphQL names)."""

        def path(location: Iterable[object]) -> list[str]:
            parts = [camel(str(part)) for part in location]
            if parts and arguments and parts[0] in arguments:
                return [arguments[parts[0]], *parts[1:]]
            return [*prefix, *parts]

        if isinstance(error, ValidationError):
            errors = [
                self.user_error(
                    field=path(detail["loc"]),
                    message=detail["msg"].removeprefix("Value error, "),
                    code=self.invalid_input,
                )
                for detail in error.errors()
            ]
        else:
            errors = [
                self.user_error(
                    field=path(error.field) if error.field else None,
                    message=error.message,
                    code=self.codes(error.code),
                )
            ]
        count_user_errors([user_error.code.value for user_error in errors])
        return errors


class BadUserInput(GraphQLError):
    """A request argument the API refuses; shown to the client with code BAD_USER_INPUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})


def lookup_text(text: str, argument: str) -> str:
    """Refuse a search or key no stored value can contain, before it reaches the database."""
    if not storable(text):
        raise BadUserInput(f"`{argument}` contains a NUL or an unpaired surrogate character.")
    return text


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


def answered_code(error: GraphQLError) -> str:
    """The code a client sees for `error` once masked: `NONE` for an error without one."""
    if is_unexpected(error):
        return "INTERNAL_SERVER_ERROR"
    return str((error.extensions or {}).get("code") or "NONE")


def label_request_errors(errors: list[GraphQLError]) -> None:
    """Give errors about the request itself (no path: parsing, validation, variables) a code."""
    for error in errors:
        if error.path is None and not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}


VARIABLE_VALUE_ERRORS = (
    "got invalid value",
    "has invalid value",
    "was not provided",
    "must not be null",
)


def request_error_code(error: GraphQLError) -> str:
    """The code of an error about the request: parse, validation or a variable's value."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$") and any(
        phrase in error.message for phrase in VARIABLE_VALUE_ERRORS
    ):
        return "BAD_USER_INPUT"  # a variable's value, not the document, is wrong
    return "GRAPHQL_VALIDATION_FAILED"
