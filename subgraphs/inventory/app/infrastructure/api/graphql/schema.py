"""The products subgraph schema and its extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, Info

from app.infrastructure.api.graphql.errors import (
    BadUserInput,
    MaskUnexpectedErrors,
    label_request_errors,
)
from app.infrastructure.api.graphql.mutations import Mutation
from app.infrastructure.api.graphql.queries import Query

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 3000
MAX_REPRESENTATIONS = 1000

# The limiters build their rule classes in __init__. Built once here, the rules are the same
# objects on every request, so ValidationCache (keyed by the rules) actually hits.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema that refuses oversized `_entities` batches."""

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadUserInput(f"`_entities` takes at most {MAX_REPRESENTATIONS} representations.")
        return super().entities_resolver(info, representations)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Runs on every error before the extensions see it, including the syntax errors that
        # ParserCache raises outside the operation hooks. Unexpected errors are logged by
        # MaskUnexpectedErrors with the request id; client mistakes are not server errors.
        label_request_errors(errors)


def build_schema() -> strawberry.federation.Schema:
    """Return the schema with caches, limits and the error policy, as per-request factories."""
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(LIMIT_RULES),
        ParserCache,
        ValidationCache,
        MaskUnexpectedErrors,
    ]
    return SubgraphSchema(query=Query, mutation=Mutation, extensions=extensions)


schema = build_schema()
