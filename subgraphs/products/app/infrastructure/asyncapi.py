"""The catalog's message contract: the payload of each event it publishes to `catalog.events`,
and the AsyncAPI document FastStream generates from it (committed as `asyncapi.json`, served at
`/asyncapi.json`; `make schema` refreshes the file)."""

from __future__ import annotations

import functools
from datetime import datetime
from uuid import UUID

from subgraph_kit.messaging.asyncapi import Payload, asyncapi_document, message_models

from app.application.event_publisher import EXCHANGE, RENAMED
from app.domain.models import ProductStatus
from app.domain.schemas import ProductCreated, ProductDeleted, ProductUpdated

VERSION = "1.1.0"  # the README changelog's


class Price(Payload):
    amount: str
    currencyCode: str


class ProductPayload(Payload):
    """The product as it is after the change."""

    id: UUID
    sku: str
    name: str
    description: str | None
    price: Price
    status: ProductStatus
    updatedAt: datetime


class ProductUpdatedPayload(ProductPayload):
    changed: list[str]


class ProductDeletedPayload(Payload):
    id: UUID
    sku: str


MESSAGES = message_models(
    {
        ProductCreated: ProductPayload,
        ProductUpdated: ProductUpdatedPayload,
        ProductDeleted: ProductDeletedPayload,
    }
)


# The AsyncAPI document of the catalog's events.
document = functools.partial(
    asyncapi_document,
    title="products",
    version=VERSION,
    description="Events of the catalog subgraph, published to the catalog.events exchange.",
    exchange=EXCHANGE,
    models=MESSAGES,
    renamed=RENAMED,
)
