"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from app.application.event_publisher import LogEventSink, OutboxRelay
from app.infrastructure.api.dependencies import (
    Container,
    Unauthenticated,
    get_graphql_context,
    require_api_key,
)
from app.infrastructure.api.graphql.schema import schema
from app.infrastructure.api.middleware import BodySizeLimit, RequestId
from app.infrastructure.api.routes import router as health_router
from app.settings import Settings, get_settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the products service: GraphQL at /graphql, health routes, outbox relay."""
    settings = settings or get_settings()
    configure_logging(settings)
    container = Container.build(settings)
    relay = OutboxRelay(
        uow_factory=container.uow, sink=LogEventSink(), interval=settings.outbox_poll_seconds
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(relay.run_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        container.engine.dispose()

    app = FastAPI(
        title="products",
        summary="The catalog subgraph: owns the Product entity.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.container = container
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.include_router(health_router)
    app.include_router(
        GraphQLRouter(
            schema,
            context_getter=get_graphql_context,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(),
            dependencies=[Depends(require_api_key)],
        ),
        prefix="/graphql",
    )
    return app


async def unauthenticated(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {
                    "message": "Missing or wrong X-API-Key.",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": "ApiKey"},
    )
