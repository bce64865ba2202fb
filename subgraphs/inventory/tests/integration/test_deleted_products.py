"""Without a broker: the next write that asks the catalog about a deleted product retires it
as its deletion event would (holds released, levels out of every list, writes refused), and
the audit judges retired levels and their holds."""

import uuid

import pytest
import sqlalchemy as sa

from tests.integration.helpers import adjust, graphql
from tests.integration.reservation_helpers import holds_of, levels_of, line, reserve
from tests.integration.test_locations_api import location_id
from tests.integration.test_sweeper_and_audit import events_named, execute, violations

pytestmark = pytest.mark.anyio

INVENTORY = """query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { inventory { onHand levels { onHand } } }
  }
}"""
LISTS = """{ all: stockLevels { totalCount }
  stocked: stockLevels(filter: {outOfStock: false}) { totalCount } }"""


def forget(catalog, product: str) -> None:
    """The catalog deletes the product (inventory is not told)."""
    del catalog.products[uuid.UUID(product)]


async def held_at_two_locations(client, product: str) -> str:
    store = await location_id(client, "STORE")
    assert (await adjust(client, product, 5))["userErrors"] == []
    assert (await adjust(client, product, 2, locationId=store))["userErrors"] == []
    assert (await reserve(client, "cart-1", line(product, 3)))["userErrors"] == []
    return store


async def test_the_next_write_retires_a_deleted_product_and_is_refused(
    client, app, catalog, product
):
    await held_at_two_locations(client, product)
    lists = (await graphql(client, LISTS))["data"]
    assert (lists["all"]["totalCount"], lists["stocked"]["totalCount"]) == (2, 2)
    forget(catalog, product)

    refused = await adjust(client, product, -1)
    assert [error["code"] for error in refused["userErrors"]] == ["PRODUCT_NOT_FOUND"]
    assert [hold["status"] for hold in await holds_of(client, "cart-1")] == ["RELEASED"]
    assert events_named(app, "ReservationReleased") == 1
    assert await levels_of(client, product) == {}
    lists = (await graphql(client, LISTS))["data"]
    assert (lists["all"]["totalCount"], lists["stocked"]["totalCount"]) == (0, 0)
    representations = [{"__typename": "Product", "id": product}]
    (entity,) = (await graphql(client, INVENTORY, representations=representations))["data"][
        "_entities"
    ]
    assert entity["inventory"] == {"onHand": 0, "levels": []}
    assert violations(app) == []


async def test_a_reservation_that_finds_the_product_gone_retires_it(client, catalog, product):
    await held_at_two_locations(client, product)
    forget(catalog, product)
    refused = await reserve(client, "cart-2", line(product, 1))
    assert [error["code"] for error in refused["userErrors"]] == ["PRODUCT_NOT_FOUND"]
    assert [hold["status"] for hold in await holds_of(client, "cart-1")] == ["RELEASED"]
    assert await levels_of(client, product) == {}


async def test_a_retired_level_keeps_no_location_open(client, catalog, product):
    store = await held_at_two_locations(client, product)
    forget(catalog, product)
    await adjust(client, product, 1)
    mutation = "mutation ($id: ID!) { deactivateLocation(id: $id) { userErrors { code } } }"
    assert (await graphql(client, mutation, id=store))["data"]["deactivateLocation"] == {
        "userErrors": []
    }


async def test_a_write_whose_lookup_raced_the_deletion_starts_its_level_retired(
    client, catalog, product
):
    await held_at_two_locations(client, product)
    forget(catalog, product)
    await adjust(client, product, 1)  # retires it
    catalog.add(uuid.UUID(product))  # a lookup that answered before the deletion
    store_2 = await location_id(client, "STORE-2")
    assert (await adjust(client, product, 4, locationId=store_2))["userErrors"] == []
    assert await levels_of(client, product) == {}


async def test_an_id_never_stocked_is_refused_without_a_commit(client, app):
    stranger = str(uuid.uuid4())
    refused = await adjust(client, stranger, 1)
    assert [error["code"] for error in refused["userErrors"]] == ["PRODUCT_NOT_FOUND"]
    with app.state.runtime.engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT count(*) FROM catalog_products")).scalar_one()
    assert kept == 0


async def test_the_audit_reports_an_active_hold_on_a_deleted_product(client, app, catalog, product):
    await held_at_two_locations(client, product)
    forget(catalog, product)
    await adjust(client, product, 1)
    execute(app, "UPDATE reservations SET status = 'ACTIVE'")
    (found,) = violations(app)
    assert f"ACTIVE on deleted product {product}" in found
