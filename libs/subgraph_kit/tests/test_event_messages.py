"""An outbox event on the broker: its routing key from the event's name, its JSON body."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.messaging.messages import message_body, routing_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ProductCreated", "product.created"),
        ("ProductDeleted", "product.deleted"),
        ("StockChanged", "stock.changed"),
        ("StockReplenished", "stock.replenished"),
        ("ReservationCreated", "reservation.created"),
        ("LowStock", "low.stock"),
    ],
)
def test_the_routing_key_is_the_event_name_in_dotted_lower_case(name: str, key: str) -> None:
    assert routing_key(name) == key


def test_a_renamed_event_takes_the_key_it_is_given() -> None:
    assert routing_key("LowStock", {"LowStock": "stock.low"}) == "stock.low"
    assert routing_key("StockChanged", {"LowStock": "stock.low"}) == "stock.changed"


@pytest.mark.parametrize("name", ["productCreated", "Product_Created", "ProductCreated!", ""])
def test_a_name_that_is_not_camel_case_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="CamelCase"):
        routing_key(name)


def test_the_body_carries_the_id_type_time_aggregate_and_payload() -> None:
    event = PendingEvent(
        position=7,
        event_id=uuid.uuid4(),
        name="StockChanged",
        aggregate_id="agg-1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        payload={"delta": -2, "onHandAfter": 5},
    )

    assert json.loads(message_body(event)) == {
        "eventId": str(event.event_id),
        "type": "StockChanged",
        "occurredAt": "2026-01-02T03:04:05+00:00",
        "aggregateId": "agg-1",
        "payload": {"delta": -2, "onHandAfter": 5},
    }
