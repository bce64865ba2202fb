"""The outbox relay delivers every committed event exactly once, in commit order per aggregate,
through sink failures, service restarts and concurrent relays; rolled-back changes send none."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.core.outbox import EventSink, OutboxRelay

from app.main import create_app
from tests.integration.helpers import CREATE, create_product, graphql

pytestmark = pytest.mark.anyio

UPDATE = """mutation ($id: ID!, $name: String!) {
  updateProduct(id: $id, input: {name: $name}) { userErrors { code } }
}"""


class RecordingSink(EventSink):
    """A sink that remembers what it got; it fails from its `fail_after`-th event until healed."""

    def __init__(self, fail_after: int | None = None, seconds_per_event: float = 0) -> None:
        self.events: list[PendingEvent] = []
        self.fail_after = fail_after
        self.seconds_per_event = seconds_per_event
        self.lock = threading.Lock()

    def publish(self, event: PendingEvent) -> None:
        time.sleep(self.seconds_per_event)  # a slow sink keeps the relays' passes overlapping
        with self.lock:
            if self.fail_after is not None and len(self.events) >= self.fail_after:
                raise ConnectionError("sink down")
            self.events.append(event)

    def heal(self) -> None:
        self.fail_after = None


def committed_events(app) -> list[tuple[str, str, int]]:
    with app.state.runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT event_id, aggregate_id, position FROM outbox_events ORDER BY position")
        )
        return [
            (str(uuid.UUID(str(event_id))), aggregate, position)
            for event_id, aggregate, position in rows
        ]


async def make_history(client) -> None:
    """Two products, three updates, and a create that is refused (rolled back)."""
    first = await create_product(client, sku="EV-1")
    second = await create_product(client, sku="EV-2")
    for name in ("One", "Two"):
        await graphql(client, UPDATE, id=first["id"], name=name)
    await graphql(client, UPDATE, id=second["id"], name="Three")
    refused = await graphql(
        client,
        CREATE,
        input={"sku": "EV-1", "name": "dup", "price": {"amount": "1", "currencyCode": "EUR"}},
    )
    assert refused["data"]["createProduct"]["userErrors"][0]["code"] == "DUPLICATE_SKU"


def assert_delivered_exactly_once_in_order(sink: RecordingSink, app) -> None:
    committed = committed_events(app)
    delivered = [str(event.event_id) for event in sink.events]
    assert sorted(delivered) == sorted(event_id for event_id, _, _ in committed)
    assert len(delivered) == len(set(delivered)) == 5  # 2 creates + 3 updates, none for the refusal
    for aggregate in {aggregate for _, aggregate, _ in committed}:
        positions = [e.position for e in sink.events if e.aggregate_id == aggregate]
        assert positions == sorted(positions)


async def test_a_failing_sink_and_a_restart_lose_and_repeat_nothing(client, app, settings):
    await make_history(client)
    flaky = RecordingSink(fail_after=2)
    relay = OutboxRelay(uow_factory=app.state.runtime.uow, sink=flaky, interval=0)
    assert relay.run_once() == 2
    assert relay.run_once() == 0  # still failing: the events stay pending
    flaky.heal()

    restarted = create_app(settings)  # a new process's worth of engine, pool and relay
    try:
        relay = OutboxRelay(uow_factory=restarted.state.runtime.uow, sink=flaky, interval=0)
        assert relay.run_once() == 3
        assert relay.run_once() == 0
    finally:
        restarted.state.runtime.engine.dispose()
    assert_delivered_exactly_once_in_order(flaky, app)
