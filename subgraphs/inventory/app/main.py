"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import partial

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from app.application.event_publisher import LogEventSink, OutboxRelay
from app.application.use_cases import purge_idempotency_keys
from app.domain.repositories import ProductCatalog
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

PURGE_INTERVAL_SECONDS = 300


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


async def every(seconds: float, job: Callable[[], object]) -> None:
    """Run a blocking housekeeping job in a worker thread every `seconds` until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(job)
        except Exception:
            logging.getLogger("app").exception("housekeeping job failed")


def create_app(settings: Settings | None = None, catalog: ProductCatalog | None = None) -> FastAPI:
    """Build the inventory service: GraphQL at /graphql, health routes, outbox relay."""
    settings = settings or get_settings()
    configure_logging(settings)
    container = Container.build(settings, catalog)
    relay = OutboxRelay(
        uow_factory=container.uow, sink=LogEventSink(), interval=settings.outbox_poll_seconds
    )

    purge = partial(purge_idempotency_keys, keep=timedelta(hours=settings.idempotency_ttl_hours))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await container.catalog.connect()
        tasks = [
            asyncio.create_task(relay.run_forever()),
            asyncio.create_task(every(PURGE_INTERVAL_SECONDS, lambda: purge(uow=container.uow()))),
        ]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await container.catalog.close()
        container.engine.dispose()

    app = FastAPI(
        title="inventory",
        summary="The stock subgraph: extends Product with stock levels and movements.",
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
