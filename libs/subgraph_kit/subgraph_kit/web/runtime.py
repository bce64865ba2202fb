"""The process-wide adapters of one subgraph, and how the edge runs its use cases."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine, create_session_factory

T = TypeVar("T")


class Runtime:
    """Engine, sessions and worker threads of one subgraph, built once per app.

    Use cases are synchronous; the edge runs each in a worker thread (`run`), never on the
    event loop, with a fresh unit of work (one Session, never shared between threads).
    """

    def __init__(
        self, settings: ServiceSettings, unit_of_work: Callable[[sessionmaker[Session]], Any]
    ) -> None:
        self.settings = settings
        self.engine: Engine = create_db_engine(settings)
        self.session_factory = create_session_factory(self.engine)
        self.unit_of_work = unit_of_work
        # As many worker threads as pooled connections, so no thread waits on the pool.
        # Created lazily: a CapacityLimiter belongs to the event loop that first uses it.
        self._limiter: anyio.CapacityLimiter | None = None

    def uow(self) -> Any:
        """A fresh unit of work (one Session, opened when its `with` block starts)."""
        return self.unit_of_work(self.session_factory)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.db_pool_size)
        return self._limiter

    async def run(
        self,
        use_case: Callable[..., T],
        /,
        *args: Any,
        limiter: anyio.CapacityLimiter | None = None,
        **ports: Any,
    ) -> T:
        """Run `use_case(*args, uow=<fresh>, **ports)` in a worker thread."""
        call = partial(use_case, *args, uow=self.uow(), **ports)
        return await anyio.to_thread.run_sync(call, limiter=limiter or self.limiter)

    def ping_database(self) -> None:
        """Raise unless the database answers `SELECT 1`."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


# The dependencies below do no I/O: as `async def` they run on the event loop instead of
# costing each request a hop through the thread pool.
async def get_runtime(request: Request) -> Runtime:
    """The runtime of the app serving the request."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
