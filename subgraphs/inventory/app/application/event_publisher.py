"""How the inventory's events leave it: use cases stage them in the unit of work's outbox (the
port, in the change's own transaction); the relay delivers them after commit to the sink."""

from __future__ import annotations

from collections.abc import Callable

from subgraph_kit.core.outbox import EventSink, OutboxRelay

from app.domain.repositories import UnitOfWork
from app.domain.reservation_schemas import (
    ReservationCommitted,
    ReservationCreated,
    ReservationExpired,
    ReservationReleased,
    StockShortfall,
)
from app.domain.schemas import (
    LocationCreated,
    LocationDeactivated,
    LowStock,
    StockChanged,
    StockDepleted,
    StockReplenished,
    StockTransferred,
)

# Every event the inventory publishes (a test checks that the use cases raise no other).
PUBLISHED_EVENTS = (
    StockChanged,
    StockDepleted,
    StockReplenished,
    LowStock,
    StockTransferred,
    LocationCreated,
    LocationDeactivated,
    ReservationCreated,
    ReservationCommitted,
    ReservationReleased,
    ReservationExpired,
    StockShortfall,
)


# The broker's topic exchange the events go to (with BROKER_URL set); each event's routing key
# is its name in dotted lower case (`subgraph_kit.messaging.messages.routing_key`), but for
# those renamed here, which read subject first like the others (DESIGN §10: `stock.low`).
EXCHANGE = "inventory.events"
RENAMED = {LowStock.name: "stock.low"}


def outbox_relay(
    uow_factory: Callable[[], UnitOfWork], *, sink: EventSink, interval: float
) -> OutboxRelay:
    """The relay of this service: pending events, in commit order, to `sink` (the log, or the
    broker's `EXCHANGE`: the edge chooses, from the settings)."""
    return OutboxRelay(uow_factory=uow_factory, sink=sink, interval=interval)
