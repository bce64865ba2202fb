"""Concurrent reservations never hold more than is on hand, and a transfer or a removal racing
them never takes what they hold.

The app runs in process and each request's use case in its own worker thread with its own
connection, so on Postgres these requests really run at once (SQLite serialises them).
"""

import asyncio
import random
from datetime import UTC, datetime

import pytest

from app.domain.models import DEFAULT_LOCATION_ID
from app.infrastructure.db.audit import audit
from tests.integration.helpers import adjust
from tests.integration.reservation_helpers import commit, levels_of, line, reserve
from tests.integration.test_locations_api import location_id, transfer
from tests.integration.test_transfer_concurrency import (
    assert_each_transfer_moved_both_ends_or_neither,
)

pytestmark = pytest.mark.anyio
DEFAULT = str(DEFAULT_LOCATION_ID)


def assert_audit_is_clean(app) -> None:
    assert audit(app.state.runtime.engine, now=datetime.now(UTC)) == []


async def test_fifty_concurrent_reservations_of_one_against_ten_on_hand_hold_exactly_ten(
    client, app, product
):
    await adjust(client, product, 10)
    results = await asyncio.gather(
        *(reserve(client, f"cart-{number}", line(product, 1)) for number in range(50))
    )
    held = [result for result in results if not result["userErrors"]]
    refused = {error["code"] for result in results for error in result["userErrors"]}
    assert len(held) == 10
    assert refused == {"INSUFFICIENT_STOCK"}
    assert await levels_of(client, product) == {
        "DEFAULT": {"onHand": 10, "reserved": 10, "available": 0}
    }
    assert_audit_is_clean(app)


async def test_transfers_and_removals_racing_reservations_never_take_what_is_held(
    client, app, product
):
    store = await location_id(client, "STORE")
    await adjust(client, product, 90)  # less than all 60 ask for (159), more than any one kind
    draw = random.Random(7)
    calls, kinds = [], []
    for number in range(60):
        roll = draw.random()
        kinds.append("reserve" if roll < 0.5 else "transfer" if roll < 0.8 else "remove")
        if roll < 0.5:
            quantity = draw.randint(1, 4)
            calls.append(reserve(client, f"cart-{number}", line(product, quantity, DEFAULT)))
        elif roll < 0.8:
            quantity = draw.randint(1, 5)
            reference = f"t-{number}"
            calls.append(transfer(client, product, DEFAULT, store, quantity, reference=reference))
        else:
            calls.append(adjust(client, product, -draw.randint(1, 3), locationId=DEFAULT))
    results = await asyncio.gather(*calls)
    codes = {error["code"] for result in results for error in result["userErrors"]}
    # 159 units asked of 90: some writes were refused, and only for want of stock.
    assert codes == {"INSUFFICIENT_STOCK"}, codes
    applied = {
        kind for kind, result in zip(kinds, results, strict=True) if not result["userErrors"]
    }
    # The reservations and transfers come early in the sequence, the removals late: SQLite,
    # which runs the writes one after the other, may reach the removals with nothing left
    # (Postgres interleaves them; a removal of held stock fails there without the level lock).
    assert {"reserve", "transfer"} <= applied
    level = (await levels_of(client, product))["DEFAULT"]
    assert 0 <= level["reserved"] <= level["onHand"], level
    assert_each_transfer_moved_both_ends_or_neither(app)
    assert_audit_is_clean(app)


async def test_concurrent_reserve_then_commit_never_sells_more_than_on_hand(client, app, product):
    await adjust(client, product, 12)

    async def checkout(number: int) -> bool:
        held = await reserve(client, f"order-{number}", line(product, 1))
        if held["userErrors"]:
            return False
        committed = await commit(client, f"order-{number}")
        assert committed["userErrors"] == []
        return True

    sold = sum(await asyncio.gather(*(checkout(number) for number in range(30))))
    assert sold == 12
    assert await levels_of(client, product) == {
        "DEFAULT": {"onHand": 0, "reserved": 0, "available": 0}
    }
    assert_audit_is_clean(app)
