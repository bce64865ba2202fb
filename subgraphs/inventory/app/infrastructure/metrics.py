"""Inventory's own series: what became of each catalog message and how late it was applied,
and how many reservations are active (the products client's are in `products_client`)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from subgraph_kit.observability.metrics import live_gauge

from app.domain.catalog_schemas import CatalogEventType

# Label values from fixed sets: the keys inventory knows, every other one as "other".
KEYS = {key.value for key in CatalogEventType}

EVENTS = Counter(
    "catalog_events",
    "Catalog messages consumed, by routing key and outcome (applied, duplicate, ignored, "
    "failed: given back for redelivery, rejected: no event, dead-lettered).",
    ["routing_key", "outcome"],
)
LAG = Histogram(
    "catalog_event_lag_seconds",
    "Seconds from a catalog event's occurredAt to its effect's commit in inventory.",
    ["routing_key"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600),
)


def _key(routing_key: str) -> str:
    return routing_key if routing_key in KEYS else "other"


def count_outcome(routing_key: str, outcome: str) -> None:
    """Count one message by what became of it."""
    EVENTS.labels(_key(routing_key), outcome).inc()


def observe_lag(routing_key: str, seconds: float) -> None:
    """Record how long after it occurred an event was applied."""
    LAG.labels(_key(routing_key)).observe(max(seconds, 0.0))


ACTIVE_RESERVATIONS = live_gauge(
    "reservations_active",
    "ACTIVE holds that have not expired, as counted after the last sweep of expired ones.",
    [],
)


def show_active_reservations(count: int) -> None:
    """Set the gauge to what the sweeper counted."""
    ACTIVE_RESERVATIONS.set(count)
