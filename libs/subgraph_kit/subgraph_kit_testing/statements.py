"""Count the SQL statements an engine executes, to guard against N+1 queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa


class StatementCounter:
    """The statements executed while attached with `counting(engine)`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


def counting(engine: sa.Engine) -> Iterator[StatementCounter]:
    """Attach a counter to `engine` for as long as the generator is open."""
    counter = StatementCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(engine, "before_cursor_execute", counter)
