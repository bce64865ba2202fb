"""The app factory of a subgraph: GraphQL behind the API key, REST routes, background relay,
metrics, and traces when an OTLP endpoint is set."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import multiprocess
from sqlalchemy import event
from strawberry.federation import Schema

from subgraph_kit.core.outbox import OutboxRelay
from subgraph_kit.messaging.rabbit import RabbitEventSink
from subgraph_kit.observability import tracing
from subgraph_kit.observability.exposition import metrics_router
from subgraph_kit.observability.metrics import count_statement, multiprocess_dir
from subgraph_kit.web.auth import Unauthenticated, require_api_key, unauthenticated
from subgraph_kit.web.body_limit import BodySizeLimit
from subgraph_kit.web.explorer import mount_explorers
from subgraph_kit.web.graphql_http import GraphQLHttpRouter
from subgraph_kit.web.log_format import configure_logging
from subgraph_kit.web.request_id import RequestId
from subgraph_kit.web.runtime import Runtime
from subgraph_kit.web.tasks import drain, relay_forever


def freeze_start_up_objects() -> None:
    """Keep what start-up made (modules, schema, app) out of the collector's full passes.

    Those ~140,000 objects live as long as the process, yet each full collection walked them
    all: 120 ms with the event loop stopped, which is what a `/health` probe waited for when a
    burst of requests set one off. Frozen, a full pass walks only what requests made.
    """
    gc.collect()
    gc.freeze()


def create_subgraph_app(
    *,
    title: str,
    summary: str,
    runtime: Runtime,
    schema: Schema,
    context_getter: Callable[..., Any],
    routes: APIRouter,
    relay: OutboxRelay,
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
    example_query: str | None = None,
) -> FastAPI:
    """Build a subgraph app: GraphQL at /graphql behind the API key, the service's REST
    `routes`, the outbox `relay` in the background, request ids and the body limit, the
    Prometheus series at /metrics, and traces when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    `lifespan` adds start-up and shutdown steps of the service's own."""
    settings = runtime.settings
    configure_logging(settings)
    event.listen(runtime.engine, "before_cursor_execute", count_statement)
    provider = runtime.tracer_provider = tracing.tracer_provider(settings, service_name=title)

    @contextlib.asynccontextmanager
    async def run(_: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if lifespan is not None:
                await stack.enter_async_context(lifespan())
            task = asyncio.create_task(relay_forever(relay))
            freeze_start_up_objects()
            yield
            # Uvicorn has stopped accepting and let in-flight requests finish (up to its
            # --timeout-graceful-shutdown); deliver what they committed before going.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await drain(relay)
            await anyio.to_thread.run_sync(relay.close)  # the broker's connection, if any
        runtime.engine.dispose()
        if provider is not None:
            provider.shutdown()  # exports the spans still batched
        if (path := multiprocess_dir()) is not None:
            multiprocess.mark_process_dead(os.getpid(), path)  # its live gauges go with it

    app = FastAPI(
        title=title, summary=summary, version="1.0.0", lifespan=run, docs_url=None, redoc_url=None
    )
    app.state.runtime = runtime
    app.state.relay = relay
    app.state.tracer = None if provider is None else provider.get_tracer("subgraph_kit")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.include_router(routes)
    app.include_router(metrics_router(runtime.engine))
    app.include_router(
        GraphQLHttpRouter(
            schema,
            title=title,
            example_query=example_query,
            context_getter=context_getter,
            # Production serves no GraphiQL unless ENABLE_GRAPHIQL=true (GET then answers 404).
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            subscription_protocols=(),
            dependencies=[Depends(require_api_key)],
        ),
        prefix="/graphql",
    )
    mount_explorers(app)  # GraphiQL's files and Swagger UI on /docs, offline
    if provider is not None:
        tracing.trace_app(app, provider)
        tracing.trace_engine(runtime.engine, provider)
        tracing.trace_schema(schema)
        if isinstance(relay.sink, RabbitEventSink):
            relay.sink.trace(provider)  # a publish span per event, in the trace of its change
    return app
