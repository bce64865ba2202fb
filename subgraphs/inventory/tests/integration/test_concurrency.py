"""Concurrent writers never lose an update, never go negative, and apply a key once."""

import asyncio
import random

import pytest
import sqlalchemy as sa

from tests.integration.helpers import adjust, graphql, set_stock

pytestmark = pytest.mark.anyio


def movements_of(app, product_id: str) -> list[int]:
    with app.state.runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT delta FROM stock_movements WHERE product_id = :p"),
            {
                "p": product_id
                if app.state.runtime.engine.dialect.name == "postgresql"
                else product_id.replace("-", "")
            },
        )
        return [row.delta for row in rows]


async def on_hand(client, product_id: str) -> int:
    body = await client.post(
        "/graphql",
        json={
            "query": "query ($id: ID!) { stockLevel(productId: $id) { onHand } }",
            "variables": {"id": product_id},
        },
    )
    return body.json()["data"]["stockLevel"]["onHand"]


async def test_fifty_concurrent_removals_of_one_from_ten_leave_exactly_zero(client, app, product):
    await set_stock(client, product, 10)
    results = await asyncio.gather(*(adjust(client, product, -1, reason="SOLD") for _ in range(50)))
    codes = [r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results]
    assert codes.count("OK") == 10
    assert codes.count("INSUFFICIENT_STOCK") == 40
    assert await on_hand(client, product) == 0
    assert movements_of(app, product).count(-1) == 10


async def test_a_hundred_mixed_adjustments_add_up_exactly(client, app, product):
    await set_stock(client, product, 20)
    deltas = [random.Random(seed).choice([-3, -2, -1, 1, 2, 3]) for seed in range(100)]
    results = await asyncio.gather(*(adjust(client, product, d, reason="OTHER") for d in deltas))
    applied = [d for d, r in zip(deltas, results, strict=True) if not r["userErrors"]]
    refused = [r["userErrors"][0]["code"] for r in results if r["userErrors"]]
    assert set(refused) <= {"INSUFFICIENT_STOCK"}
    final = await on_hand(client, product)
    assert final == 20 + sum(applied)
    assert final >= 0
    assert sum(movements_of(app, product)) == final


async def test_ten_concurrent_calls_with_one_key_apply_once(client, app, product):
    results = await asyncio.gather(
        *(adjust(client, product, 4, idempotencyKey="order-42") for _ in range(10))
    )
    assert all(r["userErrors"] == [] for r in results)
    assert {r["stockLevel"]["onHand"] for r in results} == {4}
    assert movements_of(app, product) == [4]


async def test_a_replayed_key_returns_the_first_result_without_a_second_change(
    client, app, product, catalog
):
    first = await adjust(client, product, 4, idempotencyKey="order-1")
    calls = catalog.calls
    again = await adjust(client, product, 4, idempotencyKey="order-1")
    assert again == first
    assert catalog.calls == calls
    assert movements_of(app, product) == [4]


async def test_a_key_reused_with_different_input_is_refused(client, app, product):
    await adjust(client, product, 4, idempotencyKey="order-2")
    payload = await adjust(client, product, 5, idempotencyKey="order-2")
    assert payload["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    payload = await set_stock(client, product, 4, idempotencyKey="order-2")
    assert payload["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert movements_of(app, product) == [4]


async def test_a_key_whose_request_was_refused_can_be_used_again(client, app, product):
    refused = await adjust(client, product, -1, idempotencyKey="order-3")
    assert refused["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    await adjust(client, product, 2)
    applied = await adjust(client, product, -1, idempotencyKey="order-3")
    assert applied["stockLevel"]["onHand"] == 1


NO_OP = """mutation ($id: ID!) {
  setReorderPoint(productId: $id, reorderPoint: 0) { stockLevel { onHand } userErrors { code } }
}"""


async def test_writes_that_change_nothing_among_concurrent_adjustments_lose_none(
    client, app, product
):
    # Each no-op takes back the row it tracked the product with; writers waiting on it go on.
    async def no_op() -> dict:
        return (await graphql(client, NO_OP, id=product))["data"]["setReorderPoint"]

    writes = [adjust(client, product, 1) for _ in range(20)] + [no_op() for _ in range(20)]
    random.Random(7).shuffle(writes)
    results = await asyncio.gather(*writes)
    assert all(result["userErrors"] == [] for result in results), results
    assert await on_hand(client, product) == 20
    assert movements_of(app, product) == [1] * 20
