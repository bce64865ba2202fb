"""The Prometheus series every subgraph exposes at GET /metrics, and what moves them.

Names follow Prometheus's conventions: base units (seconds), `_total` counters, and label
values from small fixed sets, but `operation_name`, which holds only the names of operations
this process has run, the first `MAX_OPERATION_NAMES` of them.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

MAX_OPERATION_NAMES = 100
# Label values that no GraphQL name can be: `(` is not a name character.
ANONYMOUS = "(anonymous)"
OTHER = "(other)"  # past the cap
INVALID = "(invalid)"  # a document that did not parse or validate, so it names nothing yet
UNKNOWN_TYPE = "unknown"

REQUEST_DURATION = Histogram(
    "graphql_request_duration_seconds",
    "Time to answer a GraphQL request that reached the schema, by operation; _count counts them.",
    ["operation_type", "operation_name"],
)
ERRORS = Counter(
    "graphql_errors",
    "Top-level GraphQL errors answered, by extensions.code (HTTP refusals included).",
    ["code"],
)
USER_ERRORS = Counter(
    "graphql_user_errors",
    "userErrors returned by mutations, by code: rules a write broke, nothing written.",
    ["code"],
)
SQL_STATEMENTS = Counter(
    "sql_statements",
    "SQL statements sent to the database, by their first keyword (WITH: a CTE before its verb).",
    ["verb"],
)
SQL_VERBS = ("select", "insert", "update", "delete", "with")


class OperationNames:
    """The operation names a process labels series with: the first `limit` it has run."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def label(self, name: str | None) -> str:
        """`name` if it is one of the first `limit` names seen, else `(other)`."""
        if name is None:
            return ANONYMOUS
        if name in self.seen:
            return name
        with self.lock:
            if len(self.seen) < self.limit:
                self.seen.add(name)
                return name
        return OTHER


OPERATION_NAMES = OperationNames()


def count_error(code: str) -> None:
    """Count one top-level GraphQL error answered with `code`."""
    ERRORS.labels(code).inc()


def count_user_errors(codes: list[str]) -> None:
    """Count the userErrors a mutation returns."""
    for code in codes:
        USER_ERRORS.labels(code).inc()


_statements = {verb: SQL_STATEMENTS.labels(verb) for verb in (*SQL_VERBS, "other")}


def count_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    """An engine's `before_cursor_execute` listener: count one statement by its verb."""
    words = statement.split(None, 1)
    verb = words[0].lower() if words else "other"
    _statements.get(verb, _statements["other"]).inc()


def multiprocess_dir() -> str | None:
    """Where the workers of one server share their series (prometheus_client's
    PROMETHEUS_MULTIPROC_DIR), or None when the process keeps them in memory."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def live_gauge(name: str, documentation: str, labels: list[str]) -> Gauge:
    """A gauge of this process's state; with several workers, the largest live value."""
    return Gauge(name, documentation, labels, multiprocess_mode="livemax")
