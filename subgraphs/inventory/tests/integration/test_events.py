"""Stock changes write their events to the outbox in the same transaction."""

import json

import pytest
import sqlalchemy as sa

from tests.integration.helpers import adjust, set_stock

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


def stock_changed_payloads(app) -> list[dict]:
    with app.state.runtime.engine.connect() as connection:
        statement = sa.text(
            "SELECT payload FROM outbox_events WHERE name = 'StockChanged' ORDER BY position"
        )
        return [
            payload if isinstance(payload, dict) else json.loads(payload)
            for payload in connection.execute(statement).scalars()
        ]


async def test_stock_changed_tells_the_level_before_and_after_each_change(client, app, product):
    await adjust(client, product, 5)
    await adjust(client, product, -2, reason="SOLD")
    await set_stock(client, product, 10)
    changes = [
        (p["onHandBefore"], p["delta"], p["onHand"], p["version"])
        for p in stock_changed_payloads(app)
    ]
    assert changes == [(0, 5, 5, 1), (5, -2, 3, 2), (3, 7, 10, 3)]
