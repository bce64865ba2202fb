"""The inventory's message contract: the payload of each event it publishes to
`inventory.events`, and the AsyncAPI document FastStream generates from it with the queue it
consumes, `inventory.catalog` (committed as `asyncapi.json`, served at `/asyncapi.json`;
`make schema` refreshes the file)."""

from __future__ import annotations

import functools
from datetime import datetime
from uuid import UUID

from faststream.rabbit import RabbitBroker
from pydantic import Field
from subgraph_kit.messaging.asyncapi import Payload, asyncapi_document, message_models

from app.application.catalog_events import Applied
from app.application.event_publisher import EXCHANGE, RENAMED
from app.domain import reservation_schemas as holds
from app.domain import schemas as stock
from app.domain.catalog_schemas import ApplyCatalogEvent
from app.domain.models import StockChangeReason
from app.infrastructure.messaging.consumer import declare_catalog_subscriber

VERSION = "1.1.0"  # the README changelog's


class LevelPayload(Payload):
    """A product's level at one location, after the change."""

    productId: UUID
    locationId: UUID
    available: int
    onHand: int
    reserved: int
    reorderPoint: int
    version: int


class StockChangedPayload(LevelPayload):
    delta: int
    onHandBefore: int
    reason: StockChangeReason
    reference: str | None
    movementId: UUID


class StockShortfallPayload(LevelPayload):
    shortfall: int


class StockTransferredPayload(Payload):
    productId: UUID
    fromLocationId: UUID
    toLocationId: UUID
    quantity: int
    reference: str | None
    source: LevelPayload = Field(alias="from")
    destination: LevelPayload = Field(alias="to")


class LocationPayload(Payload):
    locationId: UUID
    code: str
    name: str
    active: bool


class ReservationPayload(Payload):
    """One hold."""

    reservationId: UUID
    reference: str
    productId: UUID
    locationId: UUID
    quantity: int
    expiresAt: datetime


MESSAGES = message_models(
    {
        stock.StockChanged: StockChangedPayload,
        stock.StockDepleted: LevelPayload,
        stock.StockReplenished: LevelPayload,
        stock.LowStock: LevelPayload,
        stock.StockTransferred: StockTransferredPayload,
        holds.StockShortfall: StockShortfallPayload,
        stock.LocationCreated: LocationPayload,
        stock.LocationDeactivated: LocationPayload,
        holds.ReservationCreated: ReservationPayload,
        holds.ReservationCommitted: ReservationPayload,
        holds.ReservationReleased: ReservationPayload,
        holds.ReservationExpired: ReservationPayload,
    }
)


async def _documented_only(command: ApplyCatalogEvent) -> Applied:
    raise RuntimeError("the AsyncAPI document's broker never connects, so it applies nothing")


def _consumer(broker: RabbitBroker) -> None:
    declare_catalog_subscriber(broker, apply=_documented_only)


# The AsyncAPI document of the inventory's events and of the queue it consumes.
document = functools.partial(
    asyncapi_document,
    title="inventory",
    version=VERSION,
    description="Events of the stock subgraph, published to the inventory.events exchange; "
    "it consumes the catalog's product events from its queue inventory.catalog.",
    exchange=EXCHANGE,
    models=MESSAGES,
    renamed=RENAMED,
    declare=_consumer,
)
