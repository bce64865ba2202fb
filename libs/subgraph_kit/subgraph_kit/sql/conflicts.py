"""Transactions Postgres ends to break a deadlock or a serialization conflict, run again.

The writes take their locks in one order so that they do not deadlock; this is the net under
that rule (a pair of writes that breaks it, a lock Postgres takes that no code asked for).
A transaction Postgres chose as the victim rolled back whole, so running the use case again
is safe; the warning it logs names the use case, and a test that sees one has found a write
that takes its locks out of order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random

T = TypeVar("T")

logger = logging.getLogger("app.db")

# serialization_failure, deadlock_detected: "run the transaction again" (Postgres, appendix A).
CONFLICTS = frozenset({"40001", "40P01"})
ATTEMPTS = 3


def is_conflict(error: BaseException) -> bool:
    """Whether `error` is Postgres ending a transaction that may succeed if run again."""
    if not isinstance(error, DBAPIError):
        return False
    # psycopg2 names the SQLSTATE `pgcode`, psycopg 3 `sqlstate`.
    code = getattr(error.orig, "pgcode", None) or getattr(error.orig, "sqlstate", None)
    return code in CONFLICTS


def again_on_conflict(call: Callable[[], T], *, name: str) -> T:
    """`call()`, run up to ATTEMPTS times while Postgres ends it as a conflict (10-100 ms apart,
    at random, so two victims do not meet again); any other error, or the last, is raised.
    `name` names the call in the warning each retry logs."""

    def warn(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s: the database ended its transaction (%s); running it again (attempt %d of %d)",
            name,
            str(getattr(error, "orig", error)).splitlines()[0],
            state.attempt_number + 1,
            ATTEMPTS,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_conflict),
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_random(0.01, 0.1),
        before_sleep=warn,
        reraise=True,
    )
    return retrying(call)
