"""The subgraph schema: Federation 2 with our limits, caches, introspection switch and checks
of `_entities` representations."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, Info

from subgraph_kit.graphql.errors import (
    BadUserInput,
    MaskUnexpectedErrors,
    answered_code,
    label_request_errors,
)
from subgraph_kit.graphql.fast_path import FastExecutionContext
from subgraph_kit.graphql.limits import document_limits
from subgraph_kit.observability.graphql_metrics import OperationMetrics
from subgraph_kit.observability.metrics import count_error

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 3000
MAX_REPRESENTATIONS = 1000


# One rule class, built once: the same object on every request, so ValidationCache (keyed by
# the rules) hits. It measures depth and aliases in one pass (see limits.py).
LIMIT_RULES = [document_limits(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES)]


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
            OperationMetrics,  # first, so that it times what the others do too
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: AddValidationRules(LIMIT_RULES),
            IntrospectionPolicy,
            ParserCache,
            ValidationCache,
            MaskUnexpectedErrors,
        ]
        super().__init__(
            query=query,
            mutation=mutation,
            extensions=extensions,
            execution_context_class=FastExecutionContext,
        )

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
        # Each error passes here once, so this is where they are counted.
        label_request_errors(errors)
        for error in errors:
            count_error(answered_code(error))
