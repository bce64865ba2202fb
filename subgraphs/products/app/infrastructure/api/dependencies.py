"""Wiring: the runtime of this service and the per-request GraphQL context."""

from __future__ import annotations

from strawberry.fastapi import BaseContext
from subgraph_kit.graphql.loaders import Run
from subgraph_kit.web.runtime import Runtime, RuntimeDep

from app.infrastructure.api.graphql.loaders import Loaders
from app.infrastructure.db.session import SqlAlchemyUnitOfWork
from app.settings import Settings


def build_runtime(settings: Settings) -> Runtime:
    """The process-wide adapters: engine, sessions, worker threads."""
    return Runtime(settings, SqlAlchemyUnitOfWork)


class GraphQLContext(BaseContext):
    """Per-request context: the use-case runner and this request's DataLoaders."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self.loaders = Loaders(run)


async def get_graphql_context(runtime: RuntimeDep) -> GraphQLContext:
    return GraphQLContext(runtime.run)
