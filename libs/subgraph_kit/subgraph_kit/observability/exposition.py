"""GET /metrics: the Prometheus text format, one process's series or all its workers'."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import anyio
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import DateTime, Engine, column, func, select, table

from subgraph_kit.observability.metrics import multiprocess_dir
from subgraph_kit.sql.engine import utc
from subgraph_kit.sql.tables import OUTBOX_TABLE

logger = logging.getLogger("app")

# The outbox is read on every scrape; a database that does not answer costs it this, no more.
OUTBOX_READ_TIMEOUT_SECONDS = 2
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_outbox = table(OUTBOX_TABLE, column("occurred_at", DateTime(timezone=True)), column("sent_at"))


def read_outbox(engine: Engine) -> tuple[int, float]:
    """How many events are pending, and the age in seconds of the oldest (0 when none)."""
    statement = select(func.count(), func.min(_outbox.c.occurred_at)).where(
        _outbox.c.sent_at.is_(None)
    )
    with engine.connect() as connection:
        pending, oldest = connection.execute(statement).one()
    age = (datetime.now(UTC) - utc(oldest)).total_seconds() if oldest is not None else 0.0
    return pending, max(age, 0.0)


class OutboxCollector(Collector):
    """The outbox's state as read for this scrape: the database's, the same for every worker."""

    def __init__(self, state: tuple[int, float] | None) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        if self.state is None:  # the database did not answer: no value rather than a wrong one
            return
        pending, age = self.state
        yield GaugeMetricFamily(
            "outbox_pending_events", "Events committed but not yet delivered.", value=pending
        )
        yield GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered event (0 when none is pending).",
            value=age,
        )


def metrics_router(engine: Engine) -> APIRouter:
    """GET /metrics, open like /health: counts and durations, no data of the API's."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        try:
            with anyio.fail_after(OUTBOX_READ_TIMEOUT_SECONDS):
                state = await anyio.to_thread.run_sync(read_outbox, engine, abandon_on_cancel=True)
        except Exception:
            logger.warning("metrics: the outbox could not be read", exc_info=True)
            state = None
        registry = CollectorRegistry(auto_describe=True)
        path = multiprocess_dir()
        if path is not None:
            MultiProcessCollector(registry, path=path)
        else:
            registry.register(_Everything())
        registry.register(OutboxCollector(state))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE)

    return router


class _Everything(Collector):
    """The process's default registry, inside a registry of the scrape's own."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
