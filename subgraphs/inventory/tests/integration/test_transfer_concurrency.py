"""Concurrent transfers and adjustments never leave stock half-moved or negative.

The app runs in process and each request's use case in its own worker thread, each with its
own connection, so on Postgres these requests really run at once (SQLite serialises them).
"""

import asyncio
import random
import threading
import uuid
from collections import defaultdict

import pytest
import sqlalchemy as sa

from app.application.locations import create_location, deactivate_location
from app.domain.errors import LocationNotEmpty
from app.domain.models import DEFAULT_LOCATION_ID
from app.domain.schemas import CreateLocation, DeactivateLocation
from tests.integration.helpers import adjust, graphql
from tests.integration.test_locations_api import DEACTIVATE, location_id, transfer

START = 20


def stock_in_sql(app) -> tuple[dict[tuple[str, str], int], list[sa.Row]]:
    """On hand per (product, location) level, and every movement."""
    with app.state.runtime.engine.connect() as connection:
        ids = {"product_id": sa.Uuid(), "location_id": sa.Uuid()}  # SQLite stores them as hex
        levels = connection.execute(
            sa.text("SELECT product_id, location_id, on_hand FROM stock_levels").columns(**ids)
        ).all()
        moved = connection.execute(
            sa.text(
                "SELECT product_id, location_id, delta, reason, reference FROM stock_movements"
            ).columns(**ids)
        ).all()
    return {(str(r.product_id), str(r.location_id)): r.on_hand for r in levels}, moved


def assert_levels_are_the_sum_of_their_movements(app) -> dict[tuple[str, str], int]:
    levels, moved = stock_in_sql(app)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for row in moved:
        sums[str(row.product_id), str(row.location_id)] += row.delta
    assert all(on_hand >= 0 for on_hand in levels.values()), levels
    assert dict(sums) == {key: value for key, value in levels.items() if key in sums}
    return levels


def assert_each_transfer_moved_both_ends_or_neither(app) -> None:
    _, moved = stock_in_sql(app)
    by_reference: dict[str, list[sa.Row]] = defaultdict(list)
    for row in moved:
        if row.reason.startswith("TRANSFER_"):
            by_reference[row.reference].append(row)
    for reference, rows in by_reference.items():
        assert sorted(row.reason for row in rows) == ["TRANSFER_IN", "TRANSFER_OUT"], reference
        assert sum(row.delta for row in rows) == 0, reference


@pytest.mark.anyio
async def test_concurrent_transfers_and_adjustments_conserve_stock(client, app, product):
    places = [
        str(DEFAULT_LOCATION_ID),
        await location_id(client, "A"),
        await location_id(client, "B"),
    ]
    for place in places:
        await adjust(client, product, START, locationId=place)
    draw = random.Random(12)
    operations = []
    for number in range(90):
        if draw.random() < 0.7:
            source, destination = draw.sample(places, 2)  # every direction, to provoke deadlocks
            quantity = draw.randint(1, 12)
            operations.append(
                (
                    "transfer",
                    quantity,
                    transfer(
                        client, product, source, destination, quantity, reference=f"t-{number}"
                    ),
                )
            )
        else:
            delta = draw.choice([-9, -5, -2, 3, 6])
            operations.append(
                ("adjust", delta, adjust(client, product, delta, locationId=draw.choice(places)))
            )
    results = await asyncio.gather(*(call for _, _, call in operations))

    refused = [r["userErrors"][0]["code"] for r in results if r["userErrors"]]
    assert set(refused) <= {"INSUFFICIENT_STOCK"}, refused
    applied_adjustments = sum(
        amount
        for (kind, amount, _), result in zip(operations, results, strict=True)
        if kind == "adjust" and not result["userErrors"]
    )
    transfers_applied = sum(
        1
        for (kind, _, _), result in zip(operations, results, strict=True)
        if kind == "transfer" and not result["userErrors"]
    )
    assert transfers_applied > 10  # the test exercised transfers, not only refusals
    levels = assert_levels_are_the_sum_of_their_movements(app)
    assert_each_transfer_moved_both_ends_or_neither(app)
    assert sum(levels.values()) == 3 * START + applied_adjustments


def _errors(body: dict) -> list[dict]:
    payload = body["data"]["deactivateLocation"] if "data" in body else body
    return payload["userErrors"]


@pytest.mark.anyio
async def test_a_deactivation_racing_transfers_in_never_leaves_stock_at_an_inactive_location(
    client, app, product
):
    store = await location_id(client, "STORE")
    await adjust(client, product, 50)
    default = str(DEFAULT_LOCATION_ID)
    moves = [transfer(client, product, default, store, 1, reference=f"t-{n}") for n in range(20)]
    closing = [graphql(client, DEACTIVATE, id=store) for _ in range(5)]
    calls = [*moves, *closing]
    random.Random(3).shuffle(calls)
    outcomes = await asyncio.gather(*calls)
    codes = {error["code"] for body in outcomes for error in _errors(body)}
    assert codes <= {"LOCATION_INACTIVE", "LOCATION_NOT_EMPTY"}, codes
    query = "query ($id: ID!) { location(id: $id) { active } }"
    active = (await graphql(client, query, id=store))["data"]["location"]["active"]
    levels = assert_levels_are_the_sum_of_their_movements(app)
    assert_each_transfer_moved_both_ends_or_neither(app)
    at_store = levels.get((product, store), 0)
    assert active or at_store == 0, (active, at_store)
    assert levels[product, default] + at_store == 50


def test_a_deactivation_waits_for_the_write_holding_the_location_then_sees_its_stock(app):
    # Deterministic: the write holds its location and adds stock, and only commits once the
    # deactivation has been seen waiting on it (a row lock on Postgres, the write lock on SQLite).
    runtime = app.state.runtime
    store = create_location(CreateLocation(code="STORE", name="Store"), uow=runtime.uow()).id
    outcome: list[object] = []

    def deactivate() -> None:
        try:
            outcome.append(
                deactivate_location(DeactivateLocation(location_id=store), uow=runtime.uow())
            )
        except LocationNotEmpty as refused:
            outcome.append(refused)

    writer = runtime.uow()
    with writer:
        assert writer.locations.hold(store) is not None
        assert writer.stock.add_to_on_hand(uuid.uuid4(), store, 5, now=writer.now()) is not None
        closing = threading.Thread(target=deactivate)
        closing.start()
        closing.join(timeout=1.0)
        assert closing.is_alive(), "the deactivation did not wait for the write"
        writer.commit()
    closing.join(timeout=10)
    assert [type(result) for result in outcome] == [LocationNotEmpty]
