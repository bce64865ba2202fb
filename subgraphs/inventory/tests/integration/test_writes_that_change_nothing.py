"""Setting what is already there changes nothing: no version bump, no movement, no event, and
a product never stocked stays untracked."""

import pytest
import sqlalchemy as sa

from tests.integration.helpers import LEVEL_FIELDS, adjust, graphql, set_stock

pytestmark = pytest.mark.anyio

LEVEL = "query ($id: ID!) { stockLevel(productId: $id) { onHand version tracked } }"
LOW = "{ stockLevels(filter: {lowStock: true}) { totalCount } }"
REORDER = f"""
mutation ($id: ID!, $point: Int!) {{
  setReorderPoint(productId: $id, reorderPoint: $point) {{
    stockLevel {{ {LEVEL_FIELDS} }} userErrors {{ code }}
  }}
}}"""


def untracked(product: str) -> dict:
    """What a write answers for a product it left never stocked."""
    return {
        "productId": product,
        "onHand": 0,
        "available": 0,
        "reorderPoint": 0,
        "lowStock": False,
        "tracked": False,
        "version": 0,
    }


def rows(app, table: str) -> int:
    with app.state.runtime.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


async def assert_never_stocked(client, app, product: str) -> None:
    assert (await graphql(client, LEVEL, id=product))["data"]["stockLevel"] is None
    assert (await graphql(client, LOW))["data"]["stockLevels"]["totalCount"] == 0
    assert [rows(app, t) for t in ("stock_levels", "stock_movements", "outbox_events")] == [0] * 3


async def set_reorder_point(client, product: str, point: int) -> dict:
    return (await graphql(client, REORDER, id=product, point=point))["data"]["setReorderPoint"]


@pytest.mark.parametrize("fields", [{}, {"expectedVersion": 0}])
async def test_setting_stock_to_zero_on_a_product_never_stocked_changes_nothing(
    client, app, product, fields
):
    payload = await set_stock(client, product, 0, **fields)
    assert payload == {"stockLevel": untracked(product), "userErrors": []}
    await assert_never_stocked(client, app, product)
    assert (await adjust(client, product, 2))["stockLevel"]["version"] == 1


async def test_a_replayed_set_stock_that_changed_nothing_answers_the_same(client, app, product):
    first = await set_stock(client, product, 0, idempotencyKey="count-1")
    assert first == {"stockLevel": untracked(product), "userErrors": []}
    assert await set_stock(client, product, 0, idempotencyKey="count-1") == first
    await assert_never_stocked(client, app, product)


async def test_setting_the_reorder_point_to_zero_on_a_product_never_stocked_changes_nothing(
    client, app, product
):
    payload = await set_reorder_point(client, product, 0)
    assert payload == {"stockLevel": untracked(product), "userErrors": []}
    await assert_never_stocked(client, app, product)


async def test_setting_the_reorder_point_it_already_has_changes_nothing(client, app, product):
    await adjust(client, product, 5)
    assert (await set_reorder_point(client, product, 5))["stockLevel"]["version"] == 2
    events = rows(app, "outbox_events")
    again = await set_reorder_point(client, product, 5)
    assert (again["stockLevel"]["version"], again["stockLevel"]["lowStock"]) == (2, True)
    assert rows(app, "outbox_events") == events
    # A client holding version 2 can still set stock.
    payload = await set_stock(client, product, 4, expectedVersion=2)
    assert (payload["userErrors"], payload["stockLevel"]["version"]) == ([], 3)


async def test_setting_stock_to_what_it_has_changes_nothing(client, app, product):
    await adjust(client, product, 5)
    events = rows(app, "outbox_events")
    payload = await set_stock(client, product, 5, expectedVersion=1)
    assert (payload["stockLevel"]["version"], payload["stockLevel"]["tracked"]) == (1, True)
    assert (rows(app, "stock_movements"), rows(app, "outbox_events")) == (1, events)
