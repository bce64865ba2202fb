"""What the scenarios send: the GraphQL documents, the request bodies, and what a good answer is.

A request counts as an error unless it is answered with HTTP 200, without top-level
`"errors"`, and (for mutations) with `"userErrors":[]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PRODUCT_FIELDS = "id sku name description price { amount currencyCode } status createdAt updatedAt"
STOCK_FIELDS = "stock { onHand available lowStock } inStock"

PRODUCTS_PAGE = f"""query ProductsPage($first: Int!) {{
  products(first: $first) {{ nodes {{ {PRODUCT_FIELDS} }} }}
}}"""
# What the router sends inventory for the catalog page's stock fields.
STOCK_ENTITIES = f"""query StockEntities($representations: [_Any!]!) {{
  _entities(representations: $representations) {{ ... on Product {{ {STOCK_FIELDS} }} }}
}}"""
# What the router sends products to resolve a Product it found elsewhere.
PRODUCT_ENTITIES = """query ProductEntities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id sku name price { amount currencyCode } }
  }
}"""
CATALOG_PAGE = f"""query CatalogPage {{
  products(first: 20) {{ nodes {{ id sku name price {{ amount currencyCode }} {STOCK_FIELDS} }} }}
}}"""
# The products part of CATALOG_PAGE as the gateway plans it (tests/test_end_to_end.py checks
# that the stock part is one _entities request to inventory).
CATALOG_PAGE_PRODUCTS = """query CatalogPageProducts {
  products(first: 20) { nodes { __typename id sku name price { amount currencyCode } } }
}"""
ADJUST_STOCK = """mutation AdjustStock($input: AdjustStockInput!) {
  adjustStock(input: $input) {
    stockLevel { onHand available version lowStock }
    userErrors { field message code }
  }
}"""
DEEP_PAGE = """query DeepPage($after: String) {
  products(first: 20, after: $after) {
    nodes { id sku name price { amount currencyCode } }
    pageInfo { hasNextPage endCursor }
  }
}"""
NO_USER_ERRORS = b'"userErrors":[]'


def body(query: str, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def representations(ids: list[str]) -> list[dict[str, str]]:
    return [{"__typename": "Product", "id": product_id} for product_id in ids]


def adjustment(product_id: str) -> dict[str, Any]:
    """Receive one unit: always allowed, so every answer should be a success."""
    change = {"productId": product_id, "delta": 1, "reason": "RECEIVED", "reference": "bench"}
    return body(ADJUST_STOCK, input=change)


@dataclass(frozen=True)
class Workload:
    """POST one of `bodies` (picked at random when there are several) to `url`, again and
    again; `must_contain` is what every good answer holds besides no top-level errors."""

    url: str
    bodies: tuple[bytes, ...]
    api_key: str
    must_contain: bytes | None = None

    @classmethod
    def of(
        cls, url: str, documents: list[dict[str, Any]], api_key: str, must: bytes | None = None
    ) -> Workload:
        return cls(url, tuple(encode(d) for d in documents), api_key, must)

    def is_good(self, status: int, answer: bytes) -> bool:
        if status != 200 or b'"errors":' in answer:
            return False
        return self.must_contain is None or self.must_contain in answer
