"""What the scenarios send. A good answer (`bench/wrk.lua`, `Bench.sample`) is HTTP 200 without
top-level `"errors"` and, for a write, with `"userErrors":[]`."""

from __future__ import annotations

from typing import Any

LISTED = "id sku name price { amount currencyCode }"  # a product as the catalog page lists it
PRODUCT_FIELDS = "id sku name description price { amount currencyCode } status createdAt updatedAt"
STOCK_FIELDS = "stock { onHand available lowStock } inStock"
PRODUCTS_PAGE = f"""query ProductsPage($first: Int!) {{
  products(first: $first) {{ nodes {{ {PRODUCT_FIELDS} }} }}
}}"""
# The deep page, and the seeding's walk through a catalog.
PAGE = f"""query Page($first: Int!, $after: String) {{
  products(first: $first, after: $after) {{
    nodes {{ {LISTED} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
CATALOG_PAGE = f"""query CatalogPage {{
  products(first: 20) {{ nodes {{ {LISTED} {STOCK_FIELDS} }} }}
}}"""
# What the gateway sends each subgraph for CATALOG_PAGE (tests/test_end_to_end.py checks the
# plan: this query, then one _entities request to inventory).
CATALOG_PAGE_PRODUCTS = f"""query CatalogPageProducts {{
  products(first: 20) {{ nodes {{ __typename {LISTED} }} }}
}}"""
# `_entities` of inventory (the gateway's stock query for the catalog page) or of products.
ENTITIES = """query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { %s } }
}"""
ADJUST_STOCK = """mutation AdjustStock($input: AdjustStockInput!) {
  adjustStock(input: $input) {
    stockLevel { onHand available version lowStock }
    userErrors { field message code }
  }
}"""
# Scenario 7: hold one unit, then sell it, under a reference of its own (wrk.lua and the
# in-process phase put a unique value in place of UNIQUE in every request).
RESERVE_COMMIT = """mutation ReserveCommit($reference: String!, $productId: ID!) {
  reserveStock(input: {reference: $reference, lines: [{productId: $productId, quantity: 1}]}) {
    userErrors { code }
  }
  commitReservations(reference: $reference) { reservations { status } userErrors { code } }
}"""
NO_USER_ERRORS, COMMITTED, UNIQUE = b'"userErrors":[]', b'"status":"COMMITTED"', "@UNIQUE@"
REFERENCE = "bench-rc-"  # what the references of scenario 7 start with
SCALE_SIZES = (1, 10, 100, 1000)  # scenario 6: representations per _entities request


def body(query: str, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def entities(fields: str, ids: list[str]) -> dict[str, Any]:
    return body(
        ENTITIES % fields, representations=[{"__typename": "Product", "id": i} for i in ids]
    )


def adjustment(product_id: str) -> dict[str, Any]:
    """Receive one unit: always allowed, so every answer should be a success."""
    change = {"productId": product_id, "delta": 1, "reason": "RECEIVED", "reference": "bench"}
    return body(ADJUST_STOCK, input=change)


def reserve_commit(product_id: str) -> dict[str, Any]:
    return body(RESERVE_COMMIT, reference=REFERENCE + UNIQUE, productId=product_id)


def requests(seeded: Any) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
    """Per role (its process's name, `_` for `-`), each named request: path and body. The
    in-process phase measures all of them, the scenarios load most of them."""
    ids, graphql = seeded.ids, "/graphql"
    products = {
        "products_page": (graphql, body(PRODUCTS_PAGE, first=100)),
        "catalog_products": (graphql, body(CATALOG_PAGE_PRODUCTS)),
        "deep_page": (graphql, body(PAGE, first=20, after=seeded.deep_cursor)),
    }
    inventory = {
        "stock_entities_100": (graphql, entities(STOCK_FIELDS, ids[:100])),
        "stock_entities_20": (graphql, entities(STOCK_FIELDS, ids[:20])),
        "adjust": (graphql, adjustment(ids[0])),
        "reserve_commit": (graphql, reserve_commit(ids[200])),
    }
    for size in SCALE_SIZES:
        products[f"products_entities_{size}"] = (graphql, entities(LISTED, ids[:size]))
        inventory[f"inventory_entities_{size}"] = (graphql, entities(STOCK_FIELDS, ids[:size]))
    deep = body(PAGE, first=20, after=seeded.large_deep_cursor)
    return {
        "products": products,
        "inventory": inventory,
        "products_large": {"deep_page": (graphql, deep)},
        "floor-products": {"products_page": ("/products-page", products["products_page"][1])},
        "floor-inventory": {
            "stock_entities_100": ("/entities", inventory["stock_entities_100"][1]),
            "adjust": ("/adjust", inventory["adjust"][1]),
        },
    }
