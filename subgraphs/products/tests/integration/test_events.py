"""The outbox: events are written with the change, never without it, and relayed once."""

import pytest
import sqlalchemy as sa
from subgraph_kit.sql.outbox import SqlAlchemyOutbox

from tests.integration.helpers import CREATE, create_product, graphql

pytestmark = pytest.mark.anyio


def outbox(app) -> list[tuple[str, bool]]:
    with app.state.runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT name, sent_at IS NOT NULL FROM outbox_events ORDER BY position")
        )
        return [(name, bool(sent)) for name, sent in rows]


async def test_create_writes_product_created_to_the_outbox(client, app):
    await create_product(client)
    assert outbox(app) == [("ProductCreated", False)]


async def test_a_rolled_back_create_leaves_neither_product_nor_event(client, app, monkeypatch):
    def fail_after_the_insert(self, events):
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(SqlAlchemyOutbox, "add", fail_after_the_insert)
    body = await graphql(
        client,
        CREATE,
        input={"sku": "RB-1", "name": "x", "price": {"amount": "1", "currencyCode": "EUR"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()
    assert outbox(app) == []
    check = await graphql(client, '{ product(sku: "RB-1") { id } }')
    assert check["data"]["product"] is None
