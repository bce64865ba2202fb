"""Wiring: the runtime of this service (with its products client) and the GraphQL context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from strawberry.fastapi import BaseContext
from subgraph_kit.api import Runtime, get_runtime

from app.domain.repositories import ProductCatalog
from app.infrastructure.api.graphql.loaders import Loaders, Run
from app.infrastructure.db.session import SqlAlchemyUnitOfWork
from app.infrastructure.products_client import GqlProductCatalog
from app.settings import Settings

T = TypeVar("T")
Write = Callable[..., Awaitable[Any]]


class InventoryRuntime(Runtime):
    """The process-wide adapters, plus the one pooled client of the products subgraph."""

    def __init__(self, settings: Settings, catalog: ProductCatalog | None = None) -> None:
        super().__init__(settings, SqlAlchemyUnitOfWork)
        self.catalog = catalog or GqlProductCatalog(settings)

    async def write(self, use_case: Callable[..., Awaitable[T]], command: Any) -> T:
        """Run a write use case: it asks the catalog, then writes in a worker thread."""
        return await use_case(
            command, uow=self.uow(), catalog=self.catalog, in_thread=self.in_thread
        )


InventoryRuntimeDep = Annotated[InventoryRuntime, Depends(get_runtime)]


class GraphQLContext(BaseContext):
    """Per-request context: the use-case runners and this request's DataLoaders."""

    def __init__(self, run: Run, write: Write) -> None:
        super().__init__()
        self.run = run
        self.write = write
        self.loaders = Loaders(run)


async def get_graphql_context(runtime: InventoryRuntimeDep) -> GraphQLContext:
    return GraphQLContext(runtime.run, runtime.write)
