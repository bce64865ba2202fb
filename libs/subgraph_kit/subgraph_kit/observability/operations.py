"""The GraphQL operation a request runs, as traces and metrics name it."""

from __future__ import annotations

from graphql import OperationDefinitionNode, get_operation_ast
from strawberry.types import ExecutionContext


def selected_operation(execution_context: ExecutionContext) -> OperationDefinitionNode | None:
    """The operation of the parsed document that the request runs, or None (no document, or
    no operation by the name the request gives)."""
    document = execution_context.graphql_document
    if document is None:
        return None
    return get_operation_ast(document, execution_context.operation_name)
