"""Locations and transfers through the API, over each database."""

import uuid

import pytest
import sqlalchemy as sa
from subgraph_kit_testing.http import entities

from app.domain.models import DEFAULT_LOCATION_ID, ProductStatus
from tests.integration.helpers import LEVEL_FIELDS, adjust, graphql, set_stock

pytestmark = pytest.mark.anyio

DEFAULT = str(DEFAULT_LOCATION_ID)
LOCATION_FIELDS = "id code name active createdAt"
CREATE = f"""
mutation ($input: CreateLocationInput!) {{
  createLocation(input: $input) {{ location {{ {LOCATION_FIELDS} }} userErrors {{ field code }} }}
}}"""
DEACTIVATE = """
mutation ($id: ID!) {
  deactivateLocation(id: $id) { location { code active } userErrors { field code } }
}"""
TRANSFER = f"""
mutation ($input: TransferStockInput!) {{
  transferStock(input: $input) {{
    from {{ {LEVEL_FIELDS} location {{ code }} }}
    to {{ {LEVEL_FIELDS} location {{ code }} }}
    userErrors {{ field message code }}
  }}
}}"""
LOCATIONS = """
query ($after: String, $all: Boolean!) {
  locations(first: 2, after: $after, includeInactive: $all) {
    totalCount nodes { code active } pageInfo { hasNextPage endCursor }
  }
}"""


async def create(client, code: str, name: str = "Store") -> dict:
    return (await graphql(client, CREATE, input={"code": code, "name": name}))["data"][
        "createLocation"
    ]


async def location_id(client, code: str) -> str:
    return (await create(client, code))["location"]["id"]


async def transfer(client, product: str, source: str, destination: str, quantity: int, **more):
    given = {
        "productId": product,
        "fromLocationId": source,
        "toLocationId": destination,
        "quantity": quantity,
    }
    return (await graphql(client, TRANSFER, input=given | more))["data"]["transferStock"]


def codes_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def test_a_location_is_created_with_its_code_upper_cased(client):
    payload = await create(client, " store-1 ", name=" Main street ")
    assert payload["userErrors"] == []
    location = payload["location"]
    assert (location["code"], location["name"], location["active"]) == (
        "STORE-1",
        "Main street",
        True,
    )


async def test_a_taken_code_is_duplicate_location_code(client):
    await create(client, "STORE-1")
    payload = await create(client, "Store-1")
    assert payload["location"] is None
    assert codes_of(payload) == [("DUPLICATE_LOCATION_CODE", ["input", "code"])]


async def test_a_code_outside_the_rule_is_invalid_input(client):
    payload = await create(client, "no spaces")
    assert codes_of(payload) == [("INVALID_INPUT", ["input", "code"])]


async def test_a_location_is_found_by_id_or_code_and_null_when_absent(client):
    created = (await create(client, "STORE-1"))["location"]
    query = "query ($id: ID, $code: String) { location(id: $id, code: $code) { id code } }"
    by_id = (await graphql(client, query, id=created["id"]))["data"]["location"]
    by_code = (await graphql(client, query, code="store-1"))["data"]["location"]
    assert by_id == by_code == {"id": created["id"], "code": "STORE-1"}
    assert (await graphql(client, query, id="not-a-uuid"))["data"]["location"] is None
    assert (await graphql(client, query, code="NOWHERE"))["data"]["location"] is None


async def test_location_takes_exactly_one_argument(client):
    body = await graphql(client, "{ location { id } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_locations_page_by_code_and_list_inactive_ones_only_when_asked(client):
    for code in ("B", "A", "C"):
        await create(client, code)
    await graphql(client, DEACTIVATE, id=await location_id(client, "E"))
    first = (await graphql(client, LOCATIONS, all=False))["data"]["locations"]
    assert ([n["code"] for n in first["nodes"]], first["totalCount"]) == (["A", "B"], 4)
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(client, LOCATIONS, after=after, all=False))["data"]["locations"]
    assert [n["code"] for n in second["nodes"]] == ["C", "DEFAULT"]
    assert not second["pageInfo"]["hasNextPage"]
    everything = (await graphql(client, LOCATIONS, all=True))["data"]["locations"]
    assert everything["totalCount"] == 5


async def test_location_entities_resolve_in_one_select(client, statements):
    ids = [await location_id(client, f"L{n}") for n in range(5)]
    statements.statements.clear()
    query = """query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Location { id code } }
    }"""
    found = await entities(client, query, [*ids, str(uuid.uuid4())], typename="Location")
    assert [entity and entity["code"] for entity in found] == [*(f"L{n}" for n in range(5)), None]
    assert len(statements.statements) == 1


async def test_stock_is_kept_per_location_and_listed_by_location(client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 2)
    payload = await adjust(client, product, 5, locationId=store)
    assert payload["stockLevel"]["onHand"] == 5
    query = """query ($ids: [ID!]) {
      stockLevels(filter: {locationIds: $ids}) { totalCount nodes { onHand location { code } } }
    }"""
    levels = (await graphql(client, query, ids=[store]))["data"]["stockLevels"]
    assert levels == {"totalCount": 1, "nodes": [{"onHand": 5, "location": {"code": "STORE-1"}}]}
    every = (await graphql(client, query, ids=None))["data"]["stockLevels"]
    assert every["totalCount"] == 2


async def test_product_inventory_totals_active_locations_and_stock_stays_default(client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 2)
    await adjust(client, product, 5, locationId=store)
    query = """query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Product {
          stock { onHand }
          inStock
          inventory { onHand available lowStock levels { onHand location { code } } }
        }
      }
    }"""
    (found,) = await entities(client, query, [product])
    assert found == {
        "stock": {"onHand": 2},
        "inStock": True,
        "inventory": {
            "onHand": 7,
            "available": 7,
            "lowStock": False,
            "levels": sorted(
                [
                    {"onHand": 2, "location": {"code": "DEFAULT"}},
                    {"onHand": 5, "location": {"code": "STORE-1"}},
                ],
                key=lambda level: DEFAULT if level["location"]["code"] == "DEFAULT" else store,
            ),
        },
    }


async def test_a_location_holding_stock_is_not_deactivated(client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 1, locationId=store)
    payload = (await graphql(client, DEACTIVATE, id=store))["data"]["deactivateLocation"]
    assert codes_of(payload) == [("LOCATION_NOT_EMPTY", ["id"])]
    await adjust(client, product, -1, locationId=store)
    payload = (await graphql(client, DEACTIVATE, id=store))["data"]["deactivateLocation"]
    assert payload == {"location": {"code": "STORE-1", "active": False}, "userErrors": []}


async def test_writes_at_an_inactive_or_unknown_location_are_refused(client, product):
    store = await location_id(client, "STORE-1")
    await graphql(client, DEACTIVATE, id=store)
    assert codes_of(await adjust(client, product, 1, locationId=store)) == [
        ("LOCATION_INACTIVE", ["input", "locationId"])
    ]
    assert codes_of(await set_stock(client, product, 1, locationId="not-a-uuid")) == [
        ("LOCATION_NOT_FOUND", ["input", "locationId"])
    ]
    assert codes_of(await adjust(client, product, 1, locationId=str(uuid.uuid4()))) == [
        ("LOCATION_NOT_FOUND", ["input", "locationId"])
    ]


async def test_deactivating_an_unknown_location_is_location_not_found(client):
    payload = (await graphql(client, DEACTIVATE, id=str(uuid.uuid4())))["data"]
    assert codes_of(payload["deactivateLocation"]) == [("LOCATION_NOT_FOUND", ["id"])]


async def test_a_transfer_moves_stock_and_answers_both_levels(client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 10)
    payload = await transfer(client, product, DEFAULT, store, 4, reference="move-1")
    assert payload["userErrors"] == []
    assert (payload["from"]["onHand"], payload["from"]["location"]) == (6, {"code": "DEFAULT"})
    assert (payload["to"]["onHand"], payload["to"]["location"]) == (4, {"code": "STORE-1"})


async def test_a_transfer_records_two_movements_and_one_event(app, client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 10)
    await transfer(client, product, DEFAULT, store, 4, reference="move-1")
    with app.state.runtime.engine.connect() as connection:
        reasons = connection.execute(
            sa.text("SELECT reason, delta FROM stock_movements ORDER BY position")
        ).all()
        names = connection.execute(sa.text("SELECT name FROM outbox_events")).scalars().all()
    assert [tuple(row) for row in reasons] == [
        ("RECEIVED", 10),
        ("TRANSFER_OUT", -4),
        ("TRANSFER_IN", 4),
    ]
    assert names.count("StockTransferred") == 1
    assert names.count("StockChanged") == 1  # the receipt's, not the transfer's


@pytest.mark.parametrize(
    ("quantity", "to", "expected"),
    [
        (11, "store", ("INSUFFICIENT_STOCK", ["input", "quantity"])),
        (0, "store", ("INVALID_INPUT", ["input", "quantity"])),
        (1, "default", ("INVALID_INPUT", ["input", "toLocationId"])),
        (1, "not-a-uuid", ("LOCATION_NOT_FOUND", ["input", "toLocationId"])),
    ],
)
async def test_a_refused_transfer_moves_nothing(client, product, quantity, to, expected):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 10)
    destination = {"store": store, "default": DEFAULT}.get(to, to)
    payload = await transfer(client, product, DEFAULT, destination, quantity)
    assert (payload["from"], payload["to"]) == (None, None)
    assert codes_of(payload) == [expected]
    level = await graphql(
        client, "query ($id: ID!) { stockLevel(productId: $id) { onHand } }", id=product
    )
    assert level["data"]["stockLevel"]["onHand"] == 10


async def test_a_replayed_transfer_moves_once(client, product):
    store = await location_id(client, "STORE-1")
    await adjust(client, product, 10)
    first = await transfer(client, product, DEFAULT, store, 3, idempotencyKey="t-1")
    again = await transfer(client, product, DEFAULT, store, 3, idempotencyKey="t-1")
    assert again == first
    other = await transfer(client, product, DEFAULT, store, 2, idempotencyKey="t-1")
    assert codes_of(other) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]


async def test_an_archived_product_can_be_sold_off_but_takes_nothing_in(client, product, catalog):
    await adjust(client, product, 5)
    catalog.add(uuid.UUID(product), ProductStatus.ARCHIVED)
    assert codes_of(await adjust(client, product, 1)) == [
        ("PRODUCT_NOT_ACTIVE", ["input", "delta"])
    ]
    assert codes_of(await set_stock(client, product, 6)) == [
        ("PRODUCT_NOT_ACTIVE", ["input", "onHand"])
    ]
    assert (await adjust(client, product, -2))["stockLevel"]["onHand"] == 3
    assert (await set_stock(client, product, 1))["stockLevel"]["onHand"] == 1


async def test_a_draft_product_can_be_stocked(client, catalog):
    draft = str(catalog.add(uuid.uuid4(), ProductStatus.DRAFT))
    assert (await adjust(client, draft, 3))["stockLevel"]["onHand"] == 3


async def test_a_change_against_its_reason_is_invalid_input(client, product):
    assert codes_of(await adjust(client, product, 2, reason="SOLD")) == [
        ("INVALID_INPUT", ["input", "reason"])
    ]
    assert codes_of(await adjust(client, product, 2, reason="TRANSFER_IN")) == [
        ("INVALID_INPUT", ["input", "reason"])
    ]
