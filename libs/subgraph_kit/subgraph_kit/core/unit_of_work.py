"""The abstract unit of work: one transaction, opened by `with`, kept only by `commit()`."""

from __future__ import annotations

import abc
import time
from datetime import UTC, datetime
from typing import Self

from subgraph_kit.core.outbox import Outbox


class DeadlineExceeded(Exception):
    """The unit of work's deadline passed before it could commit; nothing it staged was kept."""


def refuse_past(deadline: float | None) -> None:
    """Raise DeadlineExceeded once `deadline` (a `time.monotonic()` value) has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded("the unit of work's deadline passed before it committed")


class UnitOfWork(abc.ABC):
    """One transaction: leaving the `with` block without `commit()` rolls back.

    Each service's domain subclasses it and declares its repositories; the events a use case
    raises go to `outbox`, in the same transaction as the change.

    With a `deadline` (a `time.monotonic()` value, set by the edge for a request), an
    implementation neither opens nor commits after it: it rolls back and raises
    DeadlineExceeded. The edge has stopped waiting by then, so a late commit would keep a
    change whose client was told it failed.
    """

    outbox: Outbox
    deadline: float | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every staged change durable; raise DeadlineExceeded past the deadline."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard every staged change."""

    def now(self) -> datetime:
        """Return the current time in UTC (fakes override it to control time)."""
        return datetime.now(UTC)
