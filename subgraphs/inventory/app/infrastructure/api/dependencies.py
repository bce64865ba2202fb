"""Wiring: the runtime of this service (its products client, its writes' worker threads) and
the per-request GraphQL context."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
from fastapi import Depends
from strawberry.fastapi import BaseContext
from subgraph_kit.core.unit_of_work import DeadlineExceeded
from subgraph_kit.graphql.loaders import Run
from subgraph_kit.web.runtime import Runtime, get_runtime

from app.domain.repositories import ProductCatalog, UnitOfWork
from app.infrastructure.api.graphql.loaders import Loaders
from app.infrastructure.db.session import SqlAlchemyUnitOfWork
from app.infrastructure.products_client import MAX_CONNECTIONS, CatalogClient, GqlProductCatalog
from app.settings import Settings

T = TypeVar("T")


class InventoryRuntime(Runtime):
    """The process-wide adapters, plus the one pooled client of the products subgraph.

    A use case given the catalog (a write) waits on products in its worker thread, for up to
    the products deadline. So writes run on worker threads of their own (`write_limiter`, as
    many as requests to products may be in flight): a slow products holds those threads, never
    the ones reads run on (`limiter`). While a write's transaction is open it also holds one of
    the reads' slots, so no more transactions are open than the pool has connections. Writes
    answer by the request's deadline too, and commit nothing after it.
    """

    def __init__(self, settings: Settings, catalog: CatalogClient | None = None) -> None:
        super().__init__(settings, SqlAlchemyUnitOfWork)
        self.catalog = catalog or GqlProductCatalog(settings)
        self._write_limiter: anyio.CapacityLimiter | None = None

    @property
    def write_limiter(self) -> anyio.CapacityLimiter:
        # Created lazily, like `limiter`: a CapacityLimiter belongs to the loop that first uses it.
        if self._write_limiter is None:
            self._write_limiter = anyio.CapacityLimiter(MAX_CONNECTIONS)
        return self._write_limiter

    async def run(
        self,
        use_case: Callable[..., T],
        /,
        *args: Any,
        limiter: anyio.CapacityLimiter | None = None,
        **ports: Any,
    ) -> T:
        """Run `use_case(*args, uow=<fresh>, **ports)` in a worker thread; one given the
        catalog runs on the writes' threads."""
        if "catalog" not in ports:
            return await super().run(use_case, *args, limiter=limiter, **ports)
        deadline = self.deadline()
        uow = self.uow(deadline=self.commit_deadline(deadline))
        call = partial(use_case, *args, uow=HoldingDatabaseSlot(uow, slots=self.limiter), **ports)
        return await self.in_thread(call, deadline=deadline, limiter=limiter or self.write_limiter)


class HoldingDatabaseSlot(UnitOfWork):
    """A unit of work, run from a worker thread, that holds one of `slots` while it is open.

    It waits for a slot until the deadline of `uow` at most: a write whose request has been
    answered gives up (DeadlineExceeded) instead of queueing behind the ones the outage holds.
    """

    def __init__(self, uow: UnitOfWork, *, slots: anyio.CapacityLimiter) -> None:
        self.uow = uow
        self.slots = slots
        self.deadline = uow.deadline

    def __getattr__(self, name: str) -> Any:
        return getattr(self.uow, name)  # the repositories and the outbox, once open

    def __enter__(self) -> HoldingDatabaseSlot:
        anyio.from_thread.run(self._acquire_slot)
        try:
            self.uow.__enter__()
        except BaseException:
            anyio.from_thread.run_sync(self.slots.release_on_behalf_of, self)
            raise
        return self

    def __exit__(self, *args: object) -> None:
        try:
            self.uow.__exit__(*args)
        finally:
            anyio.from_thread.run_sync(self.slots.release_on_behalf_of, self)

    async def _acquire_slot(self) -> None:
        waiting = None if self.deadline is None else self.deadline - time.monotonic()
        with anyio.move_on_after(waiting) as scope:
            await self.slots.acquire_on_behalf_of(self)
        if scope.cancelled_caught:
            raise DeadlineExceeded("no database slot came free before the deadline")

    def commit(self) -> None:
        self.uow.commit()

    def rollback(self) -> None:
        self.uow.rollback()

    def now(self) -> datetime:
        return self.uow.now()


def build_runtime(settings: Settings, catalog: CatalogClient | None = None) -> InventoryRuntime:
    """Build the process-wide adapters: engine, sessions, worker threads, products client."""
    return InventoryRuntime(settings, catalog)


InventoryRuntimeDep = Annotated[InventoryRuntime, Depends(get_runtime)]


class GraphQLContext(BaseContext):
    """Per-request context: the use-case runner, the catalog port writes are given, and this
    request's DataLoaders."""

    def __init__(self, run: Run, catalog: ProductCatalog) -> None:
        super().__init__()
        self.run = run
        self.catalog = catalog
        self.loaders = Loaders(run)


async def get_graphql_context(runtime: InventoryRuntimeDep) -> GraphQLContext:
    """Build the context of one GraphQL request."""
    return GraphQLContext(runtime.run, runtime.catalog)
