"""Application factory: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from subgraph_kit.messaging.sinks import event_sink
from subgraph_kit.web.app import create_subgraph_app
from subgraph_kit.web.tasks import every

from app.application.catalog_events import apply_catalog_event, purge_inbox
from app.application.event_publisher import EXCHANGE, RENAMED, outbox_relay
from app.application.reservations import count_active_reservations, sweep_expired_reservations
from app.application.use_cases import purge_idempotency_keys
from app.infrastructure.api.dependencies import build_runtime, get_graphql_context
from app.infrastructure.api.graphql.schema import schema
from app.infrastructure.api.routes import rest_routes
from app.infrastructure.messaging.consumer import CatalogConsumer
from app.infrastructure.metrics import show_active_reservations
from app.infrastructure.products_client import CatalogClient
from app.settings import Settings, get_settings

PURGE_INTERVAL_SECONDS = 300
# What GraphiQL on GET /graphql opens with.
EXAMPLE_QUERY = """query StockLevels {
  stockLevels(first: 5) {
    nodes {
      productId
      onHand
      available
      lowStock
    }
  }
}
"""


def create_app(settings: Settings | None = None, catalog: CatalogClient | None = None) -> FastAPI:
    """Build the inventory service: GraphQL at /graphql, REST routes, outbox relay, the
    products client, the purge of old idempotency keys, the sweep of expired holds and, with
    BROKER_URL, the consumer of the catalog's events."""
    settings = settings or get_settings()
    runtime = build_runtime(settings, catalog)
    keep = timedelta(hours=settings.idempotency_ttl_hours)
    # Made once the app factory has set up tracing (its spans need the tracer provider).
    consumer: CatalogConsumer | None = None

    def sweep() -> None:
        sweep_expired_reservations(uow=runtime.uow())
        show_active_reservations(count_active_reservations(uow=runtime.uow()))

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        if runtime.tracer_provider is not None:
            runtime.catalog.trace(runtime.tracer_provider)
        await runtime.catalog.connect()
        jobs = [
            asyncio.create_task(every(seconds, job))
            for seconds, job in (
                (PURGE_INTERVAL_SECONDS, lambda: purge_idempotency_keys(keep, uow=runtime.uow())),
                (PURGE_INTERVAL_SECONDS, lambda: purge_inbox(keep, uow=runtime.uow())),
                (settings.reservation_sweep_seconds, sweep),
            )
        ]
        if consumer is not None:
            await consumer.start()
        try:
            yield
        finally:
            if consumer is not None:
                await consumer.stop()
            for job in jobs:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
            await runtime.catalog.close()

    app = create_subgraph_app(
        title="inventory",
        summary="The stock subgraph: extends Product with stock levels and movements.",
        runtime=runtime,
        schema=schema,
        context_getter=get_graphql_context,
        routes=rest_routes(runtime.catalog),
        relay=outbox_relay(
            runtime.uow,
            sink=event_sink(settings, exchange=EXCHANGE, renamed=RENAMED),
            interval=settings.outbox_poll_seconds,
        ),
        lifespan=lifespan,
        example_query=EXAMPLE_QUERY,
    )
    if settings.broker_url is not None:
        consumer = CatalogConsumer(
            url=settings.broker_url,
            prefix=settings.broker_exchange_prefix,
            apply=lambda command: runtime.run(apply_catalog_event, command),
            tracer_provider=runtime.tracer_provider,
        )
    app.state.consumer = consumer
    return app
