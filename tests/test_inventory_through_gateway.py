"""The second edition's inventory through the local gateway, against real processes: the
catalog page with per-location levels and holds, and a stock list that still names a product
the catalog has deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stack import GraphQLClient, Stack, running_stack

CREATE_PRODUCT = """
mutation Create($sku: String!) {
  createProduct(input: {sku: $sku, name: $sku, price: {amount: "5", currencyCode: "EUR"}}) {
    product { id } userErrors { code }
  }
}"""
DELETE_PRODUCT = (
    "mutation Delete($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }"
)
CREATE_LOCATION = """
mutation Location($code: String!) {
  createLocation(input: {code: $code, name: $code}) { location { id code } userErrors { code } }
}"""
ADJUST = """
mutation Adjust($id: ID!, $delta: Int!, $location: ID) {
  adjustStock(input: {productId: $id, delta: $delta, reason: RECEIVED, locationId: $location}) {
    userErrors { code }
  }
}"""
RESERVE = """
mutation Reserve($reference: String!, $lines: [ReserveLineInput!]!) {
  reserveStock(input: {reference: $reference, lines: $lines}) {
    reservations { quantity location { code } } userErrors { code }
  }
}"""
CATALOG_PAGE = """
query CatalogPage {
  products(first: 20) {
    nodes {
      sku
      inStock
      inventory { onHand reserved available levels { location { code } onHand available } }
    }
  }
}"""
STOCK_LIST = """
query StockList {
  stockLevels(first: 100) { nodes { productId onHand product { sku } } }
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), api_key) as stack:
        yield stack


@pytest.fixture(scope="module")
def gateway(stack: Stack, api_key: str) -> Iterator[GraphQLClient]:
    with GraphQLClient(stack.gateway_url, api_key) as client:
        yield client


def no_user_errors(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload
    return payload


def create_product(gateway: GraphQLClient, sku: str) -> str:
    created = no_user_errors(gateway.execute(CREATE_PRODUCT, sku=sku)["createProduct"])
    return created["product"]["id"]


def receive(gateway: GraphQLClient, product: str, delta: int, location: str | None = None) -> None:
    no_user_errors(
        gateway.execute(ADJUST, id=product, delta=delta, location=location)["adjustStock"]
    )


def post(stack: Stack, api_key: str, query: str) -> dict[str, Any]:
    """The gateway's whole answer (data and errors), not what gql makes of it."""
    response = httpx.post(
        stack.gateway_url, json={"query": query}, headers={"X-API-Key": api_key}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_catalog_page_shows_totals_and_levels_per_location(gateway: GraphQLClient) -> None:
    north = no_user_errors(gateway.execute(CREATE_LOCATION, code="NORTH")["createLocation"])
    lamp = create_product(gateway, "LAMP-L")
    create_product(gateway, "MUG-L")  # never stocked
    receive(gateway, lamp, 4)
    receive(gateway, lamp, 6, north["location"]["id"])
    lines = [{"productId": lamp, "quantity": 7}]
    held = no_user_errors(gateway.execute(RESERVE, reference="cart-1", lines=lines)["reserveStock"])
    # No one location has 7: the most available (NORTH, 6) first, the rest from DEFAULT.
    assert sorted((r["location"]["code"], r["quantity"]) for r in held["reservations"]) == [
        ("DEFAULT", 1),
        ("NORTH", 6),
    ]

    nodes = {node["sku"]: node for node in gateway.execute(CATALOG_PAGE)["products"]["nodes"]}

    assert nodes["LAMP-L"]["inStock"] is True
    inventory = nodes["LAMP-L"]["inventory"]
    assert (inventory["onHand"], inventory["reserved"], inventory["available"]) == (10, 7, 3)
    assert sorted(inventory["levels"], key=lambda level: level["location"]["code"]) == [
        {"location": {"code": "DEFAULT"}, "onHand": 4, "available": 3},
        {"location": {"code": "NORTH"}, "onHand": 6, "available": 0},
    ]
    assert nodes["MUG-L"]["inStock"] is False
    assert nodes["MUG-L"]["inventory"] == {"onHand": 0, "reserved": 0, "available": 0, "levels": []}


def test_a_stock_list_names_a_deleted_product_as_null_and_answers_the_rest(
    stack: Stack, gateway: GraphQLClient, api_key: str
) -> None:
    kept = [create_product(gateway, f"KEEP-{i}") for i in range(3)]
    gone = create_product(gateway, "GONE-1")
    for product in [*kept, gone]:
        receive(gateway, product, 2)
    deleted = gateway.execute(DELETE_PRODUCT, id=gone)["deleteProduct"]
    assert no_user_errors(deleted)["deletedId"] == gone

    answer = post(stack, api_key, STOCK_LIST)

    assert "errors" not in answer, answer
    nodes = {node["productId"]: node for node in answer["data"]["stockLevels"]["nodes"]}
    for i, product in enumerate(kept):
        assert nodes[product]["product"] == {"sku": f"KEEP-{i}"}
    # Without a broker, inventory learns of the deletion only when it next asks the catalog;
    # until then the level stays listed and the graph answers its product as null.
    assert nodes[gone] == {"productId": gone, "onHand": 2, "product": None}
