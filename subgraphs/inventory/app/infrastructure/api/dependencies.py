"""Wiring: the adapters a request needs, the API-key check and the GraphQL context."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from strawberry.fastapi import BaseContext

from app.domain.repositories import ProductCatalog
from app.infrastructure.api.graphql.loaders import Loaders, Run
from app.infrastructure.db.session import (
    SqlAlchemyUnitOfWork,
    create_db_engine,
    create_session_factory,
)
from app.infrastructure.products_client import GqlProductCatalog
from app.settings import Settings

T = TypeVar("T")
Write = Callable[..., Awaitable[Any]]


class Unauthenticated(Exception):
    """The request lacks the right `X-API-Key`."""


@dataclass
class Container:
    """The process-wide adapters, built once per app."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    catalog: ProductCatalog
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False)

    @classmethod
    def build(cls, settings: Settings, catalog: ProductCatalog | None = None) -> Container:
        engine = create_db_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            catalog=catalog or GqlProductCatalog(settings),
        )

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # As many worker threads as pooled connections, so no thread waits on the pool.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.db_pool_size)
        return self._limiter

    async def run(self, use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a read use case in a worker thread with a fresh unit of work."""
        return await self.in_thread(partial(use_case, *args, uow=self.uow(), **kwargs))

    async def write(self, use_case: Callable[..., Awaitable[T]], command: Any) -> T:
        """Run a write use case: it asks the catalog, then writes in a worker thread."""
        return await use_case(
            command, uow=self.uow(), catalog=self.catalog, in_thread=self.in_thread
        )

    async def in_thread(self, call: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

    def ping_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]


def require_api_key(request: Request, container: ContainerDep) -> None:
    """Refuse a GraphQL POST without the right `X-API-Key`; GET only serves GraphiQL."""
    if request.method == "GET":
        return
    given = request.headers.get("x-api-key", "").encode()
    if not hmac.compare_digest(given, container.settings.api_key.encode()):
        raise Unauthenticated


class GraphQLContext(BaseContext):
    """Per-request context: the use-case runner and this request's DataLoaders."""

    def __init__(self, run: Run, write: Write) -> None:
        super().__init__()
        self.run = run
        self.write = write
        self.loaders = Loaders(run)


def get_graphql_context(container: ContainerDep) -> GraphQLContext:
    return GraphQLContext(container.run, container.write)
