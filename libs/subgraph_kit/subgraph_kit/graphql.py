"""GraphQL pieces both subgraphs share: @shareable types, connections, cursors, the error
policy and the schema with its limits and caches."""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from pydantic import ValidationError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, Info

from subgraph_kit.http_middleware import current_request_id

logger = logging.getLogger("app.graphql")

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 3000
MAX_REPRESENTATIONS = 1000
MAX_PAGE_SIZE = 100

NodeT = TypeVar("NodeT")


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


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    """A Relay connection over one page of domain items.

    Nodes and cursors are made only for the fields a query selects (a page of `nodes` makes
    no cursors), and each node once.
    """

    page: strawberry.Private[Sequence[Any]]
    make_node: strawberry.Private[Callable[[Any], NodeT]]
    make_cursor: strawberry.Private[Callable[[Any], str]]
    has_next: strawberry.Private[bool]
    after: strawberry.Private[str | None]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def edges(self) -> list[Edge[NodeT]]:
        return [
            Edge(cursor=self.make_cursor(item), node=node)
            for item, node in zip(self.page, self._nodes, strict=True)
        ]

    @strawberry.field
    def page_info(self) -> PageInfo:
        # hasPreviousPage is true exactly when the page starts after a cursor: that cursor's
        # own item precedes the page.
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.after is not None,
            start_cursor=self.make_cursor(self.page[0]) if self.page else None,
            end_cursor=self.make_cursor(self.page[-1]) if self.page else None,
        )

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return self._nodes

    @strawberry.field(description="Matching items in all pages; costs one COUNT query.")
    async def total_count(self) -> int:
        return await self.count()

    @functools.cached_property
    def _nodes(self) -> list[NodeT]:
        return [self.make_node(item) for item in self.page]


def connection(
    page: Sequence[Any],
    *,
    node: Callable[[Any], NodeT],
    cursor: Callable[[Any], str],
    has_next: bool,
    after: str | None,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """A Relay connection over `page`; `node` and `cursor` turn one item into its node/cursor."""
    return Connection(
        page=page, make_node=node, make_cursor=cursor, has_next=has_next, after=after, count=count
    )


class BadUserInput(GraphQLError):
    """A request argument the API refuses; shown to the client with code BAD_USER_INPUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


def encode_cursor(*parts: object) -> str:
    """Make an opaque cursor of JSON-ready parts."""
    raw = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, kind: str, parts: int) -> list[Any]:
    """Return the parts after `kind` of a cursor made by `encode_cursor(kind, ...)`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if not isinstance(decoded, list) or len(decoded) != parts + 1:
        raise BadUserInput("`after` is not a valid cursor.")
    if decoded[0] != kind:
        raise BadUserInput("`after` was issued for another list or sort order.")
    if any(isinstance(part, str) and not storable(part) for part in decoded):
        raise BadUserInput("`after` is not a valid cursor.")
    return decoded[1:]


def storable(text: str) -> bool:
    """Whether both databases can hold `text`: no NUL (Postgres), no lone surrogate (UTF-8)."""
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def lookup_text(text: str, argument: str) -> str:
    """Refuse a search or key no stored value can contain, before it reaches the database."""
    if not storable(text):
        raise BadUserInput(f"`{argument}` contains a NUL or an unpaired surrogate character.")
    return text


class RuleBroken(Protocol):
    """What a domain exception offers the edge: a code, a message, and the input it is about."""

    code: str
    message: str
    field: tuple[str, ...] | None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(
    error: RuleBroken | ValidationError,
    *,
    prefix: tuple[str, ...] = ("input",),
    arguments: Mapping[str, str] | None = None,
) -> list[UserError]:
    """Translate a broken rule or refused input into userErrors.

    Field paths are put under `prefix` (the input argument), except those starting with a
    name in `arguments`, which are top-level arguments (mapped to their GraphQL names).
    """

    def path(location: Iterable[object]) -> list[str]:
        parts = [camel(str(part)) for part in location]
        if parts and arguments and parts[0] in arguments:
            return [arguments[parts[0]], *parts[1:]]
        return [*prefix, *parts]

    if isinstance(error, ValidationError):
        return [
            UserError(
                field=path(detail["loc"]),
                message=detail["msg"].removeprefix("Value error, "),
                code=UserErrorCode.INVALID_INPUT,
            )
            for detail in error.errors()
        ]
    return [
        UserError(
            field=path(error.field) if error.field else None,
            message=error.message,
            code=UserErrorCode(error.code),
        )
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


VARIABLE_VALUE_ERRORS = (
    "got invalid value",
    "has invalid value",
    "was not provided",
    "must not be null",
)


def request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$") and any(
        phrase in error.message for phrase in VARIABLE_VALUE_ERRORS
    ):
        return "BAD_USER_INPUT"  # a variable's value, not the document, is wrong
    return "GRAPHQL_VALIDATION_FAILED"


# The limiters build their rule classes in __init__. Built once here, the rules are the same
# objects on every request, so ValidationCache (keyed by the rules) actually hits.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class IntrospectionPolicy(SchemaExtension):
    """Refuse `__schema` and `__type` where the service's settings turn introspection off.

    The settings come from the app that serves the request (`app.state.runtime`); a schema
    executed outside an app (unit tests) keeps introspection. `_service { sdl }`, which
    composition uses, is not introspection and stays available.
    """

    def on_operation(self) -> Iterator[None]:
        request = getattr(self.execution_context.context, "request", None)
        runtime = getattr(getattr(getattr(request, "app", None), "state", None), "runtime", None)
        if runtime is not None and not runtime.settings.introspection_enabled:
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, NoSchemaIntrospectionCustomRule)
        yield


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema with our limits, caches and error policy."""

    def __init__(self, *, query: type, mutation: type) -> None:
        extensions: list[Any] = [
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: AddValidationRules(LIMIT_RULES),
            IntrospectionPolicy,
            ParserCache,
            ValidationCache,
            MaskUnexpectedErrors,
        ]
        super().__init__(query=query, mutation=mutation, extensions=extensions)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # Strawberry has no setting for this cap, and trusts each representation's shape.
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadUserInput(f"`_entities` takes at most {MAX_REPRESENTATIONS} representations.")
        for index, representation in enumerate(representations):
            self._check_representation(index, representation)
        typenames = {representation["__typename"] for representation in representations}  # type: ignore[index]
        if len(typenames) == 1:
            batch = getattr(self._entity_types[typenames.pop()], "resolve_references", None)
            if batch is not None:
                # One awaitable for the whole list: graphql-core then completes plain values
                # instead of scheduling a task per representation.
                keys = [{k: v for k, v in r.items() if k != "__typename"} for r in representations]  # type: ignore[attr-defined]
                return batch(info, keys)
        return super().entities_resolver(info, representations)

    def _check_representation(self, index: int, representation: object) -> None:
        """Refuse anything but `{__typename: <an entity of ours>, <its key fields>: <scalars>}`."""
        typename = representation.get("__typename") if isinstance(representation, dict) else None
        keys = self._entity_keys.get(typename) if isinstance(typename, str) else None
        if (
            keys is None
            or set(representation) - {"__typename"} != keys  # type: ignore[arg-type]
            or not all(isinstance(representation[key], str | int) for key in keys)  # type: ignore[index]
        ):
            raise BadUserInput(
                f"Representation {index} is not a {{__typename, key fields}} object "
                "of an entity this subgraph resolves."
            )

    @functools.cached_property
    def _entity_types(self) -> dict[str, type]:
        """Each entity type this subgraph resolves (it has `resolve_reference`), by name.

        A type may also offer `resolve_references(info, keys)` to resolve a whole batch.
        """
        types = {}
        for name, type_ in self.schema_converter.type_map.items():
            origin = getattr(getattr(type_, "definition", None), "origin", None)
            if hasattr(origin, "resolve_reference"):
                types[name] = origin
        return types

    @functools.cached_property
    def _entity_keys(self) -> dict[str, set[str]]:
        """The key fields of each entity type: the arguments of its resolve_reference."""
        return {
            name: set(inspect.signature(origin.resolve_reference).parameters) - {"info"}
            for name, origin in self._entity_types.items()
        }

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Runs on every error before the extensions see it, including the syntax errors that
        # ParserCache raises outside the operation hooks. Unexpected errors are logged by
        # MaskUnexpectedErrors with the request id; client mistakes are not server errors.
        label_request_errors(errors)
