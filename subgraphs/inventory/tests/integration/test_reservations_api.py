"""Reservations through the API, over each database: holds, what they do to available, commit,
release, expiry, and their refusals."""

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from app.domain.models import DEFAULT_LOCATION_ID, ProductStatus
from tests.integration.helpers import adjust, graphql, set_stock
from tests.integration.reservation_helpers import (
    codes_of,
    commit,
    holds_of,
    levels_of,
    line,
    release,
    reserve,
)
from tests.integration.test_locations_api import DEACTIVATE, location_id

pytestmark = pytest.mark.anyio
DEFAULT = str(DEFAULT_LOCATION_ID)


async def test_a_hold_counts_as_reserved_and_leaves_on_hand(client, product):
    await adjust(client, product, 10)
    payload = await reserve(client, "cart-1", line(product, 3))
    assert payload["userErrors"] == []
    (hold,) = payload["reservations"]
    assert (hold["quantity"], hold["status"], hold["location"]["code"]) == (3, "ACTIVE", "DEFAULT")
    assert await levels_of(client, product) == {
        "DEFAULT": {"onHand": 10, "reserved": 3, "available": 7}
    }


async def test_reserving_again_under_the_reference_replaces_the_hold(client, product):
    await adjust(client, product, 10)
    await reserve(client, "cart-1", line(product, 8))
    payload = await reserve(client, "cart-1", line(product, 9))
    assert payload["userErrors"] == []
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 9
    statuses = sorted(hold["status"] for hold in await holds_of(client, "cart-1"))
    assert statuses == ["ACTIVE", "RELEASED"]


async def test_lines_of_one_product_are_summed_and_the_refused_one_named(client, product):
    await adjust(client, product, 5)
    payload = await reserve(client, "cart-1", line(product, 3), line(product, 2), line(product, 1))
    assert codes_of(payload) == [("INSUFFICIENT_STOCK", ["input", "lines", "2", "quantity"])]
    assert payload["reservations"] == []
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 0


async def test_a_line_without_location_is_split_over_the_most_available(client, product):
    store = await location_id(client, "STORE")
    van = await location_id(client, "VAN")
    await adjust(client, product, 2)
    await adjust(client, product, 5, locationId=store)
    await adjust(client, product, 1, locationId=van)
    payload = await reserve(client, "cart-1", line(product, 7))
    assert payload["userErrors"] == []
    held = {hold["location"]["code"]: hold["quantity"] for hold in payload["reservations"]}
    assert held == {"STORE": 5, "DEFAULT": 2}


async def test_reserving_is_all_or_nothing(client, catalog, product):
    second = str(catalog.add(uuid.uuid4()))
    await adjust(client, product, 5)
    await adjust(client, second, 1)
    payload = await reserve(client, "cart-1", line(product, 5), line(second, 2))
    assert codes_of(payload) == [("INSUFFICIENT_STOCK", ["input", "lines", "1", "quantity"])]
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 0


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
async def test_only_active_products_can_be_reserved(client, catalog, status):
    product = str(catalog.add(uuid.uuid4()))
    await adjust(client, product, 5)
    catalog.add(uuid.UUID(product), status)
    payload = await reserve(client, "cart-1", line(product, 1))
    assert codes_of(payload) == [("PRODUCT_NOT_ACTIVE", ["input", "lines", "0", "productId"])]


async def test_an_unknown_product_or_location_is_named_by_its_line(client, product):
    await adjust(client, product, 5)
    unknown = await reserve(client, "c", line(product, 1), line(str(uuid.uuid4()), 1))
    assert codes_of(unknown) == [("PRODUCT_NOT_FOUND", ["input", "lines", "1", "productId"])]
    nowhere = await reserve(client, "c", line(product, 1, str(uuid.uuid4())))
    assert codes_of(nowhere) == [("LOCATION_NOT_FOUND", ["input", "lines", "0", "locationId"])]


async def test_a_reservation_asks_the_catalog_once_for_all_its_lines(client, catalog):
    products = [str(catalog.add(uuid.uuid4())) for _ in range(20)]
    for product in products:
        await adjust(client, product, 2)
    catalog.calls = 0
    payload = await reserve(client, "cart-1", *(line(product, 1) for product in products))
    assert payload["userErrors"] == []
    assert catalog.calls == 1


async def test_committing_sells_every_hold_and_frees_them(client, product):
    await adjust(client, product, 10)
    await reserve(client, "order-1", line(product, 4))
    payload = await commit(client, "order-1")
    assert payload["userErrors"] == []
    assert [hold["status"] for hold in payload["reservations"]] == ["COMMITTED"]
    assert await levels_of(client, product) == {
        "DEFAULT": {"onHand": 6, "reserved": 0, "available": 6}
    }
    again = await commit(client, "order-1")
    assert (again["userErrors"], len(again["reservations"])) == ([], 1)
    assert (await levels_of(client, product))["DEFAULT"]["onHand"] == 6


async def test_releasing_frees_holds_and_twice_is_no_error(client, product):
    await adjust(client, product, 10)
    await reserve(client, "cart-1", line(product, 4))
    first = await release(client, "cart-1")
    assert [hold["status"] for hold in first["reservations"]] == ["RELEASED"]
    second = await release(client, "cart-1", productIds=[product])
    assert (second["userErrors"], second["reservations"]) == ([], [])
    assert (await levels_of(client, product))["DEFAULT"]["available"] == 10
    assert len(await holds_of(client, "cart-1", status=["RELEASED"])) == 1
    assert await holds_of(client, "cart-1", status=["ACTIVE", "COMMITTED"]) == []


async def test_a_removal_cannot_take_what_is_reserved(client, product):
    await adjust(client, product, 10)
    await reserve(client, "cart-1", line(product, 8))
    refused = await adjust(client, product, -3)
    assert refused["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert (await adjust(client, product, -2))["userErrors"] == []


async def test_a_count_below_what_is_reserved_is_kept_and_raises_a_shortfall(app, client, product):
    await adjust(client, product, 10)
    await reserve(client, "cart-1", line(product, 8))
    payload = await set_stock(client, product, 5)
    assert payload["userErrors"] == []
    assert payload["stockLevel"]["available"] == 0
    events = app.state.runtime.uow
    with events() as uow:
        names = [event.name for event in uow.outbox.pending(limit=100)]
    assert "StockShortfall" in names


async def test_a_location_holding_reservations_cannot_be_deactivated(client, product):
    store = await location_id(client, "STORE")
    await adjust(client, product, 1, locationId=store)
    await reserve(client, "cart-1", line(product, 1, store))
    await set_stock(client, product, 0, locationId=store)
    body = await graphql(client, DEACTIVATE, id=store)
    assert body["data"]["deactivateLocation"]["userErrors"][0]["code"] == "LOCATION_NOT_EMPTY"


async def test_an_expired_hold_stops_counting_before_any_sweep(client, app, product):
    await adjust(client, product, 10)
    await reserve(client, "cart-1", line(product, 4), expiresInSeconds=1)
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 4
    await asyncio.sleep(1.05)
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 0
    with app.state.runtime.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT status FROM reservations")).scalars().all()
    assert stored == ["ACTIVE"]  # no sweep has run: the hold stopped counting by itself
    assert [hold["status"] for hold in await holds_of(client, "cart-1")] == ["EXPIRED"]
    refused = await commit(client, "cart-1")
    assert codes_of(refused) == [("RESERVATION_EXPIRED", ["reference"])]
    assert (await levels_of(client, product))["DEFAULT"]["onHand"] == 10


async def test_a_replayed_reservation_answers_the_first_holds_without_holding_twice(
    client, product
):
    await adjust(client, product, 10)
    first = await reserve(client, "cart-1", line(product, 3), idempotencyKey="k-1")
    again = await reserve(client, "cart-1", line(product, 3), idempotencyKey="k-1")
    assert [hold["id"] for hold in again["reservations"]] == [
        hold["id"] for hold in first["reservations"]
    ]
    assert (await levels_of(client, product))["DEFAULT"]["reserved"] == 3
    other = await reserve(client, "cart-1", line(product, 4), idempotencyKey="k-1")
    assert codes_of(other) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]


async def test_a_write_to_one_product_reports_only_its_own_reservations(client, catalog, product):
    other = str(catalog.add(uuid.uuid4()))
    await adjust(client, product, 5)
    await reserve(client, "cart-1", line(product, 2))
    written = await adjust(client, other, 3)
    assert (written["stockLevel"]["onHand"], written["stockLevel"]["available"]) == (3, 3)


async def test_a_product_s_inventory_totals_what_is_reserved_at_its_locations(client, product):
    store = await location_id(client, "STORE")
    await adjust(client, product, 4)
    await adjust(client, product, 6, locationId=store)
    await reserve(client, "cart-1", line(product, 7))
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Product { inStock inventory { onHand reserved available } } } }"""
    body = await graphql(client, query, r=[{"__typename": "Product", "id": product}])
    (found,) = body["data"]["_entities"]
    assert found == {
        "inStock": True,
        "inventory": {"onHand": 10, "reserved": 7, "available": 3},
    }
