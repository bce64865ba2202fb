"""The subscriber of `inventory.catalog` in FastStream's in-memory TestRabbitBroker: what a
message body becomes, and which bodies never reach the use case."""

import json
import uuid

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from app.application.catalog_events import Applied
from app.domain.catalog_schemas import ApplyCatalogEvent, CatalogEventType
from app.domain.models import ProductStatus
from app.infrastructure.messaging.consumer import (
    NotAnEvent,
    catalog_exchange,
    command_of,
    declare_catalog_subscriber,
)

pytestmark = pytest.mark.anyio


def body(kind: str = "ProductUpdated", **more) -> bytes:
    document = {
        "eventId": str(uuid.uuid4()),
        "type": kind,
        "occurredAt": "2026-12-02T09:00:00+00:00",
        "aggregateId": str(uuid.uuid4()),
        "payload": {"status": "ARCHIVED", "changed": ["status", "name"]},
    }
    return json.dumps(document | more).encode()


def test_a_product_updated_body_becomes_its_command():
    command = command_of(body())
    assert command is not None
    assert (command.type, command.status, command.changes_status) == (
        CatalogEventType.PRODUCT_UPDATED,
        ProductStatus.ARCHIVED,
        True,
    )


def test_a_deletion_carries_no_status():
    command = command_of(body("ProductDeleted", payload={"id": "x", "status": "ACTIVE"}))
    assert command is not None
    assert command.status is None


def test_an_event_inventory_does_not_act_on_is_no_command():
    assert command_of(body("ProductRenamed")) is None


@pytest.mark.parametrize(
    "bad",
    [b"{not json", b"[]", body(eventId="nope"), json.dumps({"type": "ProductDeleted"}).encode()],
)
def test_a_body_that_is_no_event_is_refused(bad):
    with pytest.raises(NotAnEvent):
        command_of(bad)


async def test_the_subscriber_hands_valid_events_to_the_use_case_and_no_others():
    applied: list[ApplyCatalogEvent] = []

    async def apply(command: ApplyCatalogEvent) -> Applied:
        applied.append(command)
        return Applied.APPLIED

    broker = RabbitBroker()
    declare_catalog_subscriber(broker, apply=apply, prefix="unit.")
    good = body("ProductDeleted")
    async with TestRabbitBroker(broker) as test_broker:
        for message in (good, b"{not json"):
            await test_broker.publish(
                message, exchange=catalog_exchange("unit."), routing_key="product.deleted"
            )
    assert [str(command.event_id) for command in applied] == [json.loads(good)["eventId"]]
