"""End to end through the local gateway (gateway/gateway.mjs), with `gql`, against real
products and inventory processes on free ports, each on its own SQLite file.

The gateway reaches inventory through a counting proxy, so the tests can see what the
query planner sends there. A stack of its own, where products is then stopped or frozen,
checks that stock writes fail fast with PRODUCTS_UNAVAILABLE.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql.transport.exceptions import TransportQueryError
from stack import CountingProxy, GraphQLClient, Stack, running_stack

PLAIN_PRODUCTS = 18  # created first; with the four special ones below, 22 in all
PAGE = 20

CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) {
    product { id sku name price { amount currencyCode } }
    userErrors { field message code }
  }
}"""
ADJUST = """
mutation Adjust($input: AdjustStockInput!) {
  adjustStock(input: $input) {
    stockLevel { productId onHand available lowStock tracked }
    userErrors { field message code }
  }
}"""
SET_REORDER_POINT = """
mutation Reorder($id: ID!, $point: Int!) {
  setReorderPoint(productId: $id, reorderPoint: $point) {
    stockLevel { reorderPoint }
    userErrors { field message code }
  }
}"""
CATALOG_PAGE = """
query CatalogPage {
  products(first: 20) {
    nodes {
      id sku name price { amount currencyCode }
      stock { onHand available lowStock }
      inStock
    }
  }
}"""
LOW_STOCK = """
query LowStock {
  stockLevels(filter: {lowStock: true}) { nodes { available product { name sku } } }
}"""
STOCK_LEVEL = "query Level($id: ID!) { stockLevel(productId: $id) { onHand version } }"


@dataclass
class Expected:
    """What the gateway must answer for one product of the catalog page."""

    id: str
    sku: str
    name: str
    amount: str
    on_hand: int = 0
    reorder_point: int = 0
    tracked: bool = False

    @property
    def low(self) -> bool:
        return self.tracked and self.on_hand <= self.reorder_point

    def node(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sku": self.sku,
            "name": self.name,
            "price": {"amount": self.amount, "currencyCode": "EUR"},
            "stock": {"onHand": self.on_hand, "available": self.on_hand, "lowStock": self.low},
            "inStock": self.on_hand > 0,
        }


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload
    return payload


class Catalog:
    """Products created and stocked through the gateway, in creation order."""

    def __init__(self, gateway: GraphQLClient) -> None:
        self.gateway = gateway
        self.products: list[Expected] = []

    def create(self, sku: str, name: str, amount: str) -> Expected:
        price = {"amount": amount, "currencyCode": "eur"}
        variables = {"input": {"sku": sku, "name": name, "price": price}}
        product = ok(self.gateway.execute(CREATE, **variables)["createProduct"])["product"]
        assert product["sku"] == sku.upper()
        two_decimals = str(Decimal(amount).quantize(Decimal("0.01")))
        assert product["price"] == {"amount": two_decimals, "currencyCode": "EUR"}
        expected = Expected(product["id"], product["sku"], name, product["price"]["amount"])
        self.products.append(expected)
        return expected

    def adjust(self, product: Expected, delta: int, reason: str = "RECEIVED") -> None:
        variables = {"input": {"productId": product.id, "delta": delta, "reason": reason}}
        level = ok(self.gateway.execute(ADJUST, **variables)["adjustStock"])["stockLevel"]
        product.on_hand += delta
        product.tracked = True
        assert level == {
            "productId": product.id,
            "onHand": product.on_hand,
            "available": product.on_hand,
            "lowStock": product.low,
            "tracked": True,
        }

    def set_reorder_point(self, product: Expected, point: int) -> None:
        payload = self.gateway.execute(SET_REORDER_POINT, id=product.id, point=point)
        assert ok(payload["setReorderPoint"])["stockLevel"] == {"reorderPoint": point}
        product.reorder_point = point

    def page(self) -> list[Expected]:
        """The default sort is newest first."""
        return self.products[::-1][:PAGE]


@pytest.fixture(scope="module")
def proxy() -> Iterator[CountingProxy]:
    with CountingProxy() as proxy:
        yield proxy


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, api_key: str, proxy: CountingProxy
) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), api_key, proxy) as stack:
        yield stack


@pytest.fixture(scope="module")
def gateway(stack: Stack, api_key: str) -> Iterator[GraphQLClient]:
    with GraphQLClient(stack.gateway_url, api_key) as client:
        yield client


@pytest.fixture(scope="module")
def catalog(gateway: GraphQLClient) -> Catalog:
    """22 products: 18 plain ones (every other one stocked), then four that tell apart
    in stock, low (below its reorder point), sold out (low too) and never stocked."""
    catalog = Catalog(gateway)
    for i in range(PLAIN_PRODUCTS):
        product = catalog.create(f"plain-{i:02}", f"Plain product {i}", f"{i + 1}.5")
        if i % 2:
            catalog.adjust(product, 10 + i)
    lamp = catalog.create("lamp-1", "Desk lamp", "19.990")
    catalog.adjust(lamp, 12)
    mug = catalog.create("mug-1", "Mug", "7")
    catalog.set_reorder_point(mug, 5)
    catalog.adjust(mug, 3)  # 3 <= 5: low
    chair = catalog.create("chair-1", "Chair", "89.00")
    catalog.adjust(chair, 4)
    catalog.adjust(chair, -4, reason="SOLD")  # 0 <= 0: low, and out of stock
    catalog.create("rug-1", "Rug", "120")  # never stocked
    return catalog


def test_catalog_page_merges_products_and_stock_in_one_query(catalog: Catalog) -> None:
    nodes = catalog.gateway.execute(CATALOG_PAGE)["products"]["nodes"]

    assert nodes == [product.node() for product in catalog.page()]
    by_sku = {node["sku"]: node for node in nodes}
    assert by_sku["LAMP-1"]["stock"] == {"onHand": 12, "available": 12, "lowStock": False}
    assert by_sku["LAMP-1"]["price"] == {"amount": "19.99", "currencyCode": "EUR"}
    assert by_sku["MUG-1"]["stock"] == {"onHand": 3, "available": 3, "lowStock": True}
    assert (by_sku["CHAIR-1"]["stock"]["lowStock"], by_sku["CHAIR-1"]["inStock"]) == (True, False)
    assert by_sku["RUG-1"]["stock"] == {"onHand": 0, "available": 0, "lowStock": False}


def test_low_stock_levels_carry_name_and_sku_from_products(catalog: Catalog) -> None:
    nodes = catalog.gateway.execute(LOW_STOCK)["stockLevels"]["nodes"]

    assert sorted(nodes, key=lambda n: n["product"]["sku"]) == [
        {"available": 0, "product": {"name": "Chair", "sku": "CHAIR-1"}},
        {"available": 3, "product": {"name": "Mug", "sku": "MUG-1"}},
    ]


def test_adjust_stock_of_an_unknown_product_is_product_not_found(gateway: GraphQLClient) -> None:
    unknown = str(uuid.uuid4())
    variables = {"input": {"productId": unknown, "delta": 5, "reason": "RECEIVED"}}

    payload = gateway.execute(ADJUST, **variables)["adjustStock"]

    assert payload["stockLevel"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("PRODUCT_NOT_FOUND", ["input", "productId"])
    ]
    assert gateway.execute(STOCK_LEVEL, id=unknown) == {"stockLevel": None}


INTRUDER = {"sku": "intruder-1", "name": "No", "price": {"amount": "1", "currencyCode": "EUR"}}
REFUSED = {
    "data": None,
    "errors": [
        {"message": "Missing or wrong X-API-Key.", "extensions": {"code": "UNAUTHENTICATED"}}
    ],
}


@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing-key", "wrong-key"])
@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        (CATALOG_PAGE, {}),
        (LOW_STOCK, {}),
        (CREATE, {"input": INTRUDER}),
    ],
    ids=["catalog-page", "low-stock", "create-product"],
)
def test_a_request_without_the_right_key_is_refused(
    stack: Stack,
    catalog: Catalog,
    key: str | None,
    operation: str,
    variables: dict[str, Any],
) -> None:
    """`catalog` is there so that the refused queries would have data to leak."""
    headers = {} if key is None else {"X-API-Key": key}
    body = {"query": operation, "variables": variables}

    response = httpx.post(stack.gateway_url, json=body, headers=headers, trust_env=False)
    with (
        GraphQLClient(stack.gateway_url, key) as client,
        pytest.raises(TransportQueryError) as raised,
    ):
        client.execute(operation, **variables)

    # The gateway does not check keys itself: the subgraph it asks first answers 401, and the
    # gateway turns that into a GraphQL error (HTTP 200), with no data at all.
    assert response.status_code == 200
    assert response.json() == REFUSED
    assert raised.value.data is None
    assert [e["extensions"]["code"] for e in raised.value.errors] == ["UNAUTHENTICATED"]
    assert catalog.gateway.execute('{ product(sku: "INTRUDER-1") { id } }') == {"product": None}


def test_the_catalog_page_costs_inventory_one_entities_request(
    catalog: Catalog, proxy: CountingProxy, api_key: str
) -> None:
    proxy.take()

    nodes = catalog.gateway.execute(CATALOG_PAGE)["products"]["nodes"]
    sent = proxy.take()

    assert len(nodes) == PAGE
    entities = [r for r in sent if "_entities" in r.query]
    assert len(entities) == 1, [r.body for r in sent]
    assert len(sent) == 1, "inventory got more than the one _entities request"
    representations = entities[0].body["variables"]["representations"]
    assert representations == [{"__typename": "Product", "id": node["id"]} for node in nodes]
    assert entities[0].headers.get("x-api-key") == api_key


def test_the_proxy_counts_every_entities_request(catalog: Catalog, proxy: CountingProxy) -> None:
    """Control: two page fields in one query make two entity fetches, and the proxy sees both,
    so "exactly one" above is a real bound."""
    proxy.take()

    catalog.gateway.execute(
        "{ a: products(first: 10, sort: NAME_ASC) { nodes { inStock } }"
        "  b: products(first: 10, sort: NAME_DESC) { nodes { inStock } } }"
    )
    entities = [r for r in proxy.take() if "_entities" in r.query]

    assert [len(r.body["variables"]["representations"]) for r in entities] == [10, 10]


# -- products down -----------------------------------------------------------------------


@pytest.fixture
def outage_stack(tmp_path: Path, api_key: str) -> Iterator[Stack]:
    with running_stack(tmp_path, api_key) as stack:
        yield stack


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_stock_writes_fail_fast_when_products_is_down(
    outage_stack: Stack, api_key: str, outage: str
) -> None:
    with GraphQLClient(outage_stack.gateway_url, api_key) as gateway:
        product = Catalog(gateway).create("lamp-1", "Desk lamp", "19.99")
        if outage == "stopped":
            outage_stack["products"].stop()
        else:  # accepts connections, never answers
            outage_stack["products"].freeze()
        variables = {"input": {"productId": product.id, "delta": 5, "reason": "RECEIVED"}}

        started = time.monotonic()
        payload = gateway.execute(ADJUST, **variables)["adjustStock"]
        elapsed = time.monotonic() - started

        assert payload["stockLevel"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["PRODUCTS_UNAVAILABLE"], payload
        assert elapsed < 3.5, f"PRODUCTS_UNAVAILABLE took {elapsed:.2f} s"
        assert gateway.execute(STOCK_LEVEL, id=product.id) == {"stockLevel": None}
