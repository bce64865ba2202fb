"""The GraphQL request series: how long each operation took, by type and name."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from subgraph_kit.observability.metrics import (
    INVALID,
    OPERATION_NAMES,
    REQUEST_DURATION,
    UNKNOWN_TYPE,
)
from subgraph_kit.observability.operations import selected_operation


class OperationMetrics(SchemaExtension):
    """Observe every operation's duration in `graphql_request_duration_seconds`.

    A document that did not parse or validate is labelled `(invalid)`: its operation name is
    the client's invention, not an operation this service runs, and must not take a place
    among the names the series keeps.
    """

    def __init__(self) -> None:
        self.validated = False

    def on_validate(self) -> Iterator[None]:
        yield
        self.validated = not self.execution_context.pre_execution_errors

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # a document that does not parse leaves by an exception (see ParserCache)
            self._observe(time.perf_counter() - started)

    def _observe(self, seconds: float) -> None:
        operation = selected_operation(self.execution_context)
        kind = operation.operation.value if operation is not None else UNKNOWN_TYPE
        if operation is None or not self.validated:
            name = INVALID
        else:
            name = OPERATION_NAMES.label(operation.name.value if operation.name else None)
        REQUEST_DURATION.labels(kind, name).observe(seconds)
