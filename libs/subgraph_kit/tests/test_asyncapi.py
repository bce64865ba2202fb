"""The message contract: envelopes built from payload models, the check of an event's message,
the AsyncAPI document FastStream makes of it, and the route that serves it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import pydantic
import pytest
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker, RabbitQueue
from subgraph_kit.core.events import DomainEvent
from subgraph_kit.messaging.asyncapi import (
    Payload,
    asyncapi_document,
    check_message,
    message_models,
)
from subgraph_kit.web.asyncapi import asyncapi_router

pytestmark = pytest.mark.anyio


class NoteWritten(DomainEvent):
    """A note was written."""


class NoteShelved(DomainEvent):
    """A note went to the shelf."""


class NotePayload(Payload):
    noteId: UUID
    words: int


MODELS = message_models({NoteWritten: NotePayload, NoteShelved: NotePayload})
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def written(payload: dict[str, object]) -> NoteWritten:
    return NoteWritten(uuid4(), NOW, payload)


def test_a_message_that_follows_the_contract_passes():
    check_message(MODELS, written({"noteId": str(uuid4()), "words": 3}))


@pytest.mark.parametrize(
    "payload",
    [
        {"noteId": "not-a-uuid", "words": 3},
        {"noteId": str(uuid4())},
        {"noteId": str(uuid4()), "words": 3, "undocumented": True},
    ],
    ids=["wrong type", "missing field", "field the contract does not list"],
)
def test_a_message_that_breaks_the_contract_is_refused(payload):
    with pytest.raises(pydantic.ValidationError):
        check_message(MODELS, written(payload))


def test_an_event_without_a_model_is_refused():
    class NoteLost(DomainEvent):
        pass

    with pytest.raises(KeyError):
        check_message(MODELS, NoteLost(uuid4(), NOW, {}))


def document(**extra) -> dict:
    text = asyncapi_document(
        title="notes",
        version="1.0.0",
        description="The tiny subgraph's events.",
        exchange="notes.events",
        models=MODELS,
        renamed={"NoteShelved": "note.archived"},
        **extra,
    )
    return json.loads(text)


def test_the_document_has_one_channel_per_event_on_the_exchange_with_its_routing_key():
    spec = document()
    assert spec["asyncapi"] == "3.0.0"
    assert spec["info"] == {
        "title": "notes",
        "version": "1.0.0",
        "description": "The tiny subgraph's events.",
    }
    channels = spec["channels"]
    assert sorted(channel["address"] for channel in channels.values()) == [
        "note.archived",
        "note.written",
    ]
    for channel in channels.values():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "notes.events"
        assert channel["bindings"]["amqp"]["exchange"]["type"] == "topic"
    assert channels["note.written"]["description"] == "A note was written."
    operation = spec["operations"]["note.written"]
    assert operation["action"] == "send"
    assert operation["bindings"]["amqp"]["deliveryMode"] == 2  # persistent
    envelope = spec["components"]["schemas"]["NoteWrittenMessage"]
    assert sorted(envelope["required"]) == [
        "aggregateId",
        "eventId",
        "occurredAt",
        "payload",
        "type",
    ]
    assert envelope["additionalProperties"] is False


def test_declare_adds_a_services_subscribers_to_the_document():
    def declare(broker: RabbitBroker) -> None:
        @broker.subscriber(RabbitQueue("notes.inbox", durable=True), title="notes.inbox")
        async def handle(body: dict) -> None:
            """Apply a note."""

    operations = document(declare=declare)["operations"]
    assert operations["notes.inbox"]["action"] == "receive"


async def test_the_route_serves_the_document_made_once():
    made: list[str] = []

    def make() -> str:
        made.append("once")
        return '{"asyncapi": "3.0.0"}\n'

    app = FastAPI()
    app.include_router(asyncapi_router(make))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for _ in range(2):
            response = await client.get("/asyncapi.json")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"asyncapi": "3.0.0"}
    assert made == ["once"]
