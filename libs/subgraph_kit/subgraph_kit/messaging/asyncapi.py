"""A service's message contract: a pydantic model per event, the check that an event's message
matches it, and the AsyncAPI document FastStream generates from it.

A service names the payload model of each event it publishes; `message_models` wraps each in
the envelope every message has (`{eventId, type, occurredAt, aggregateId, payload}`, no other
field), and `asyncapi_document` declares one FastStream publisher per event on the service's
exchange, with the routing key the relay uses, and asks FastStream for the AsyncAPI 3.0 JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from faststream.specification import AsyncAPI
from pydantic import BaseModel, ConfigDict, create_model

from subgraph_kit.core.events import DomainEvent, PendingEvent
from subgraph_kit.messaging.messages import message_body, routing_key

# The server the document names: docker compose's broker (clients set their own URL).
DOCUMENTED_SERVER = "amqp://rabbitmq:5672/"


class Payload(BaseModel):
    """The base of payload models: a payload holds the fields its model lists, and no other."""

    model_config = ConfigDict(extra="forbid")


def message_models(
    payloads: Mapping[type[DomainEvent], type[BaseModel]],
) -> dict[str, type[BaseModel]]:
    """The envelope model of each event, by event name, described by the event's docstring."""
    return {
        event.name: create_model(
            f"{event.name}Message",
            __config__=ConfigDict(extra="forbid"),
            __doc__=(event.__doc__ or event.name).strip(),
            eventId=(UUID, ...),
            type=(Literal[event.name], ...),  # type: ignore[valid-type]
            occurredAt=(datetime, ...),
            aggregateId=(str, ...),
            payload=(payload, ...),
        )
        for event, payload in payloads.items()
    }


def check_message(models: Mapping[str, type[BaseModel]], event: DomainEvent) -> None:
    """Raise pydantic's ValidationError (or KeyError for an event without a model) unless the
    message the relay would publish for `event` is what the contract says."""
    pending = PendingEvent(
        position=0,
        event_id=event.event_id,
        name=event.name,
        aggregate_id=str(event.aggregate_id),
        occurred_at=event.occurred_at,
        payload=event.payload,
    )
    models[event.name].model_validate_json(message_body(pending))


def asyncapi_document(
    *,
    title: str,
    version: str,
    description: str,
    exchange: str,
    models: Mapping[str, type[BaseModel]],
    renamed: Mapping[str, str] | None = None,
    declare: Callable[[RabbitBroker], Any] | None = None,
) -> str:
    """The AsyncAPI 3.0 document (indented JSON) of the events published to `exchange`, and of
    whatever `declare` adds to the broker (a service's subscribers)."""
    broker = RabbitBroker(specification_url=DOCUMENTED_SERVER, logger=None)
    topic = RabbitExchange(exchange, type=ExchangeType.TOPIC, durable=True)
    for name, model in models.items():
        key = routing_key(name, renamed)
        broker.publisher(
            exchange=topic,
            routing_key=key,
            schema=model,
            title=key,
            description=model.__doc__,
            persist=True,
            mandatory=False,
        )
    if declare is not None:
        declare(broker)
    specification = AsyncAPI(broker, title=title, version=version, description=description)
    document = json.loads(specification.to_specification().to_json())
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
