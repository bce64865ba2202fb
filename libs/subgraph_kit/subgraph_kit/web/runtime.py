"""The process-wide adapters of one subgraph, and how the edge runs its use cases."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from graphql import GraphQLError
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import Engine, text

from subgraph_kit.core.unit_of_work import DeadlineExceeded
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.conflicts import again_on_conflict
from subgraph_kit.sql.engine import create_db_engine, create_session_factory
from subgraph_kit.web.request_id import current_request_id

T = TypeVar("T")

logger = logging.getLogger("app.graphql")

# A commit must start this long before the request's deadline (at most a quarter of the
# timeout), so that a commit the database finishes in time is answered as done.
COMMIT_MARGIN_SECONDS = 1.0

# When the request being served must be answered (`time.monotonic()`), set by `get_runtime`.
_request_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


class RequestTimedOut(GraphQLError):
    """The request passed its deadline; shown with code TIMEOUT and the request id."""

    def __init__(self) -> None:
        super().__init__(
            "The request did not finish in time.",
            extensions={"code": "TIMEOUT", "requestId": current_request_id()},
        )


class Runtime:
    """Engine, sessions and worker threads of one subgraph, built once per app.

    Use cases are synchronous; the edge runs each in a worker thread (`run`), never on the
    event loop, with a fresh unit of work (one Session, never shared between threads). A
    request is answered by its deadline (`request_timeout_seconds` after it began): the
    thread cannot be stopped, so it is left to end on its own, and its unit of work, which
    knows the deadline, refuses to commit after it.
    """

    def __init__(self, settings: ServiceSettings, unit_of_work: Callable[..., Any]) -> None:
        self.settings = settings
        self.engine: Engine = create_db_engine(settings)
        self.session_factory = create_session_factory(self.engine)
        self.unit_of_work = unit_of_work
        # As many worker threads as pooled connections, so no thread waits on the pool.
        # Created lazily: a CapacityLimiter belongs to the event loop that first uses it.
        self._limiter: anyio.CapacityLimiter | None = None
        # Calls in worker threads (asyncio keeps only weak references to tasks).
        self._in_threads: set[asyncio.Future[Any]] = set()
        # Set by the app factory when traces are exported, for the adapters that call out.
        self.tracer_provider: TracerProvider | None = None

    def uow(self, *, deadline: float | None = None) -> Any:
        """A fresh unit of work (one Session, opened when its `with` block starts) that
        commits nothing after `deadline` (a `time.monotonic()` value)."""
        return self.unit_of_work(self.session_factory, deadline=deadline)

    @property
    def in_threads(self) -> int:
        """How many calls are in worker threads now, those left past their deadline included."""
        return len(self._in_threads)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.db_pool_size)
        return self._limiter

    def start_request(self) -> None:
        """Start the deadline of the request being served: what it runs answers by
        `request_timeout_seconds` from now."""
        _request_deadline.set(self._from_now())

    def _from_now(self) -> float:
        return time.monotonic() + self.settings.request_timeout_seconds

    def deadline(self) -> float:
        """When the request being served must be answered; for a use case run outside a
        request, the timeout from now."""
        deadline = _request_deadline.get()
        return deadline if deadline is not None else self._from_now()

    def commit_deadline(self, deadline: float) -> float:
        """The last moment a unit of work answering by `deadline` may start its commit."""
        return deadline - min(COMMIT_MARGIN_SECONDS, self.settings.request_timeout_seconds / 4)

    async def run(
        self,
        use_case: Callable[..., T],
        /,
        *args: Any,
        limiter: anyio.CapacityLimiter | None = None,
        **ports: Any,
    ) -> T:
        """Run `use_case(*args, uow=<fresh>, **ports)` in a worker thread, by the deadline."""
        deadline = self.deadline()
        uow = self.uow(deadline=self.commit_deadline(deadline))
        call = partial(use_case, *args, uow=uow, **ports)
        return await self.in_thread(call, deadline=deadline, limiter=limiter or self.limiter)

    async def in_thread(
        self, call: Callable[[], T], *, deadline: float, limiter: anyio.CapacityLimiter
    ) -> T:
        """Call `call` in a worker thread (again, when Postgres ends its transaction as a
        deadlock: `again_on_conflict`); raise RequestTimedOut when `deadline` passes first
        (the thread is left to end on its own) or when its unit of work refused to commit."""
        # The thread runs in a task of its own, which nothing cancels: what it hands back to
        # the event loop (`anyio.from_thread`: the products client, the writes' slots) still
        # runs after the request gave up on it, and it keeps its limiter token until it ends,
        # so a database that stopped answering holds threads, not ever more of them.
        retried = partial(again_on_conflict, call, name=_name(call))
        work = asyncio.ensure_future(anyio.to_thread.run_sync(retried, limiter=limiter))
        self._in_threads.add(work)
        work.add_done_callback(self._ended)
        with anyio.move_on_after(deadline - time.monotonic()) as waiting:
            with contextlib.suppress(DeadlineExceeded):
                return await asyncio.shield(work)
        logger.warning(
            "%s passed the request deadline (request %s)%s",
            _name(call),
            current_request_id(),
            "; left running, it will not commit" if waiting.cancelled_caught else "",
        )
        raise RequestTimedOut

    def _ended(self, work: asyncio.Future[Any]) -> None:
        self._in_threads.discard(work)
        if not work.cancelled():
            work.exception()  # retrieved, though the request may no longer be waiting for it

    def ping_database(self) -> None:
        """Raise unless the database answers `SELECT 1`."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def _name(call: Callable[..., Any]) -> str:
    return getattr(getattr(call, "func", call), "__name__", "use case")


# The dependencies below do no I/O: as `async def` they run on the event loop instead of
# costing each request a hop through the thread pool.
async def get_runtime(request: Request) -> Runtime:
    """The runtime of the app serving the request; the request's deadline starts now."""
    runtime: Runtime = request.app.state.runtime
    runtime.start_request()
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
