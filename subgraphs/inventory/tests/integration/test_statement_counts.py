"""Statement-count guards: what the router's calls and a page cost in SQL, whatever their size,
and what each write costs.

They count statements, not time, so they are fast and fail on any N+1 regression.
"""

import uuid
from datetime import UTC, datetime

import pytest
from subgraph_kit_testing.databases import insert_rows
from subgraph_kit_testing.http import entities

from app.domain.models import DEFAULT_LOCATION_ID
from app.infrastructure.db.models import LocationRow, StockLevelRow
from tests.integration.helpers import adjust, graphql, set_stock
from tests.integration.reservation_helpers import line, reserve

pytestmark = pytest.mark.anyio

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { stock { onHand available lowStock } inStock }
  }
}"""
PAGE = """
query ($after: String) {
  stockLevels(first: 100, after: $after) {
    nodes { productId onHand lowStock } pageInfo { hasNextPage endCursor }
  }
}"""
PAGE_WITH_TOTAL = "{ stockLevels(first: 100) { totalCount nodes { productId } } }"


@pytest.fixture
def stocked(app) -> list[str]:
    """1,000 tracked levels, written straight to the table (every fifth one low on stock)."""
    now = datetime.now(UTC)
    rows = [
        {
            "product_id": uuid.uuid4(),
            "location_id": DEFAULT_LOCATION_ID,
            "on_hand": 3 if index % 5 == 0 else 40,
            "reorder_point": 5,
            "version": 1,
            "updated_at": now,
        }
        for index in range(1000)
    ]
    insert_rows(app.state.runtime.engine, StockLevelRow.__table__, rows)
    return [str(row["product_id"]) for row in rows]


@pytest.mark.parametrize("size", [1, 100, 1000])
async def test_entities_cost_one_select_whatever_their_number(client, stocked, statements, size):
    wanted = stocked[:size]
    statements.statements.clear()
    found = await entities(client, ENTITIES, wanted)
    assert len(found) == size
    assert all(entity["stock"]["onHand"] in (3, 40) for entity in found)
    assert len(statements.statements) == 1
    assert len(statements.selects) == 1


async def test_entities_of_products_never_stocked_cost_one_select_too(client, stocked, statements):
    wanted = [*stocked[:500], *(str(uuid.uuid4()) for _ in range(500))]
    statements.statements.clear()
    found = await entities(client, ENTITIES, wanted)
    assert sum(entity["inStock"] for entity in found) == 500
    assert len(statements.selects) == len(statements.statements) == 1


async def test_a_stock_levels_page_costs_one_statement_without_total_count(
    client, stocked, statements
):
    statements.statements.clear()
    first = (await graphql(client, PAGE))["data"]["stockLevels"]
    assert len(first["nodes"]) == 100
    assert len(statements.statements) == 1
    statements.statements.clear()
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(client, PAGE, after=after))["data"]["stockLevels"]
    assert len(second["nodes"]) == 100
    assert len(statements.statements) == 1


async def test_a_stock_levels_page_with_total_count_costs_two_statements(
    client, stocked, statements
):
    statements.statements.clear()
    body = await graphql(client, PAGE_WITH_TOTAL)
    assert body["data"]["stockLevels"]["totalCount"] == 1000
    assert len(statements.statements) == 2
    assert len(statements.selects) == 2


REORDER = """
mutation ($id: ID!, $point: Int!) {
  setReorderPoint(productId: $id, reorderPoint: $point) {
    stockLevel { lowStock } userErrors { code }
  }
}"""


@pytest.fixture
def hold(is_postgres) -> str:
    """How a write holds its location first: FOR SHARE on Postgres, the write lock on SQLite."""
    return "SELECT" if is_postgres else "UPDATE"


@pytest.fixture
def removal_lock(is_postgres) -> list[str]:
    """How a removal locks its level before it reads the holds: a SELECT … FOR UPDATE of its
    own on Postgres (so that its guard sees every hold committed before), none on SQLite."""
    return ["SELECT"] if is_postgres else []


def kinds(statements) -> list[str]:
    """The first word of each statement since the last look, then forget them."""
    seen = [statement.split()[0].upper() for statement in statements.statements]
    statements.statements.clear()
    return seen


async def test_an_adjustment_costs_five_statements_whether_the_level_is_new_or_not(
    client, product, statements, hold
):
    # Hold the location; track the product there; change the level, reading it as it was
    # (WITH … UPDATE … RETURNING); the movement; the events.
    statements.statements.clear()
    await adjust(client, product, 5)
    assert kinds(statements) == [hold, "INSERT", "WITH", "INSERT", "INSERT"]
    await adjust(client, product, 2)
    assert kinds(statements) == [hold, "INSERT", "WITH", "INSERT", "INSERT"]


async def test_a_refused_removal_costs_four_statements_and_its_level_lock(
    client, product, statements, hold, removal_lock
):
    statements.statements.clear()
    payload = await adjust(client, product, -1)
    assert payload["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert kinds(statements) == [hold, "INSERT", *removal_lock, "WITH", "SELECT"]


async def test_an_adjustment_with_a_key_costs_eight_statements_and_its_replay_one(
    client, product, statements, hold
):
    statements.statements.clear()
    await adjust(client, product, 5, idempotencyKey="k-1")
    # Look the key up, claim it, the adjustment, then store its result.
    adjustment = [hold, "INSERT", "WITH", "INSERT", "INSERT"]
    assert kinds(statements) == ["SELECT", "INSERT", *adjustment, "UPDATE"]
    await adjust(client, product, 5, idempotencyKey="k-1")
    assert kinds(statements) == ["SELECT"]


async def test_setting_stock_costs_six_statements_and_a_stale_version_three(
    client, product, statements, hold
):
    statements.statements.clear()
    await set_stock(client, product, 7)
    # Hold the location, track the product, lock the level, update it, the movement, the events.
    assert kinds(statements) == [hold, "INSERT", "SELECT", "UPDATE", "INSERT", "INSERT"]
    payload = await set_stock(client, product, 3, expectedVersion=0)
    assert payload["userErrors"][0]["code"] == "VERSION_CONFLICT"
    assert kinds(statements) == [hold, "INSERT", "SELECT"]


async def test_setting_the_reorder_point_costs_three_statements(client, product, statements, hold):
    await adjust(client, product, 9)
    statements.statements.clear()
    body = await graphql(client, REORDER, id=product, point=4)
    assert body["data"]["setReorderPoint"]["userErrors"] == []
    assert kinds(statements) == [hold, "INSERT", "WITH"]


async def test_writes_that_change_nothing_cost_four_statements_at_most(
    client, product, statements, hold
):
    # A product never stocked: the row the write tracked it with to take its lock goes again.
    statements.statements.clear()
    await set_stock(client, product, 0)
    assert kinds(statements) == [hold, "INSERT", "SELECT", "DELETE"]
    await graphql(client, REORDER, id=product, point=0)
    assert kinds(statements) == [hold, "INSERT", "WITH", "DELETE"]
    # A tracked level: the guarded update updates nothing, and the answer is read.
    await adjust(client, product, 9)
    await graphql(client, REORDER, id=product, point=4)
    statements.statements.clear()
    await graphql(client, REORDER, id=product, point=4)
    assert kinds(statements) == [hold, "INSERT", "WITH", "SELECT"]
    await set_stock(client, product, 9)
    assert kinds(statements) == [hold, "INSERT", "SELECT"]


INVENTORY = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product {
      inStock
      stock { onHand }
      inventory { onHand available lowStock levels { onHand reorderPoint } }
    }
  }
}"""


async def test_a_page_of_a_hundred_products_inventory_costs_one_select(
    app, client, stocked, statements
):
    # A second location stocks every other product of the page: totals span both.
    store = uuid.uuid4()
    now = datetime.now(UTC)
    location = {"id": store, "code": "STORE", "name": "Store", "active": True, "created_at": now}
    insert_rows(app.state.runtime.engine, LocationRow.__table__, [location])
    page = stocked[:100]
    rows = [
        {
            "product_id": uuid.UUID(product_id),
            "location_id": store,
            "on_hand": 7,
            "reorder_point": 0,
            "version": 1,
            "updated_at": now,
        }
        for product_id in page[::2]
    ]
    insert_rows(app.state.runtime.engine, StockLevelRow.__table__, rows)
    statements.statements.clear()
    found = await entities(client, INVENTORY, page)
    assert len(statements.statements) == 1
    assert [len(entity["inventory"]["levels"]) for entity in found[:2]] == [2, 1]
    assert found[0]["inventory"]["onHand"] == found[0]["stock"]["onHand"] + 7
    assert found[1]["inventory"]["onHand"] == found[1]["stock"]["onHand"]


async def test_the_locations_of_a_page_s_levels_cost_one_more_select(client, stocked, statements):
    query = INVENTORY.replace("levels { onHand reorderPoint }", "levels { location { code } }")
    statements.statements.clear()
    found = await entities(client, query, stocked[:100])
    assert {level["location"]["code"] for e in found for level in e["inventory"]["levels"]} == {
        "DEFAULT"
    }
    assert len(statements.selects) == len(statements.statements) == 2


TRANSFER = """
mutation ($input: TransferStockInput!) {
  transferStock(input: $input) { from { onHand } to { onHand } userErrors { code } }
}"""


async def test_a_transfer_costs_nine_statements_and_its_source_lock(
    app, client, product, statements, hold, removal_lock
):
    store = uuid.uuid4()
    location = {
        "id": store,
        "code": "STORE",
        "name": "Store",
        "active": True,
        "created_at": datetime.now(UTC),
    }
    insert_rows(app.state.runtime.engine, LocationRow.__table__, [location])
    await adjust(client, product, 5)
    given = {
        "productId": product,
        "fromLocationId": str(DEFAULT_LOCATION_ID),
        "toLocationId": str(store),
        "quantity": 2,
    }
    statements.statements.clear()
    body = await graphql(client, TRANSFER, input=given)
    assert body["data"]["transferStock"]["userErrors"] == []
    # Hold both locations; then, per level in location-id order, track it and change it (one
    # guarded statement each); the two movements; the events.
    assert kinds(statements) == [
        hold,
        hold,
        "INSERT",
        *removal_lock,
        "WITH",
        "INSERT",
        "WITH",
        "INSERT",
        "INSERT",
        "INSERT",
    ]


@pytest.mark.parametrize("size", [1, 20])
async def test_a_reservation_costs_the_same_statements_whatever_its_number_of_lines(
    client, catalog, statements, hold, size
):
    products = [str(catalog.add(uuid.uuid4())) for _ in range(size)]
    for product in products:
        await adjust(client, product, 3)
    catalog.calls = 0
    statements.statements.clear()
    payload = await reserve(client, "cart-1", *(line(product, 2) for product in products))
    assert payload["userErrors"] == []
    assert len(payload["reservations"]) == size
    assert catalog.calls == 1  # one products request for all the lines
    # Hold the locations; lock the products' levels (Postgres: a statement of its own); read
    # them with what is reserved; the reference's holds; the new holds (one INSERT of all);
    # their events; then the payload's `location` fields (one batched SELECT).
    lock = ["SELECT"] if hold == "SELECT" else []
    assert kinds(statements) == [hold, *lock, "SELECT", "SELECT", "INSERT", "INSERT", "SELECT"]
