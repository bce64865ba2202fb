"""Stock changes write their events to the outbox in the same transaction."""

import pytest
import sqlalchemy as sa
from subgraph_kit.relay import LogEventSink, OutboxRelay

from tests.integration.helpers import adjust

pytestmark = pytest.mark.anyio


def outbox(app) -> list[str]:
    with app.state.runtime.engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT name FROM outbox_events ORDER BY position")
            ).scalars()
        )


async def test_stock_changes_record_their_events(client, app, product):
    await adjust(client, product, 2)
    await adjust(client, product, -2, reason="SOLD")
    assert outbox(app) == [
        "StockChanged",
        "StockReplenished",
        "StockChanged",
        "StockDepleted",
        "LowStock",
    ]


async def test_a_refused_change_records_no_event(client, app, product):
    await adjust(client, product, -1, reason="SOLD")
    assert outbox(app) == []


async def test_the_relay_delivers_stock_events(client, app, product, caplog):
    await adjust(client, product, 2)
    relay = OutboxRelay(uow_factory=app.state.runtime.uow, sink=LogEventSink(), interval=0)
    with caplog.at_level("INFO", logger="app.events"):
        assert relay.run_once() == 2
    assert '"event":"StockChanged"' in caplog.text
