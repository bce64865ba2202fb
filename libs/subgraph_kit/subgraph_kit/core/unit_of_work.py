"""The abstract unit of work: one transaction, opened by `with`, kept only by `commit()`."""

from __future__ import annotations

import abc
from datetime import UTC, datetime
from typing import Self

from subgraph_kit.core.outbox import Outbox


class UnitOfWork(abc.ABC):
    """One transaction: leaving the `with` block without `commit()` rolls back.

    Each service's domain subclasses it and declares its repositories; the events a use case
    raises go to `outbox`, in the same transaction as the change.
    """

    outbox: Outbox

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every staged change durable."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard every staged change."""

    def now(self) -> datetime:
        """Return the current time in UTC (fakes override it to control time)."""
        return datetime.now(UTC)
