"""What the scenarios send, what a good answer is, and what a load generator reports.

A good answer is HTTP 200 without top-level `"errors"` (and, for writes, with
`"userErrors":[]`). `bench/wrk_client.py` and `bench/py_client.py` import this, not each other.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
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
SCALE_SIZES = (1, 10, 100, 1000)  # scenario 6: representations per _entities request


def body(query: str, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def entities(query: str, ids: list[str]) -> dict[str, Any]:
    return body(query, representations=[{"__typename": "Product", "id": i} for i in ids])


def adjustment(product_id: str) -> dict[str, Any]:
    """Receive one unit: always allowed, so every answer should be a success."""
    change = {"productId": product_id, "delta": 1, "reason": "RECEIVED", "reference": "bench"}
    return body(ADJUST_STOCK, input=change)


def requests(seeded: Any) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
    """Per role (its process's name, `_` for `-`), each named request: path and body. The
    in-process phase measures all of them, the scenarios load most of them."""
    ids, graphql = seeded.ids, "/graphql"
    products = {
        "products_page": (graphql, body(PRODUCTS_PAGE, first=100)),
        "catalog_products": (graphql, body(CATALOG_PAGE_PRODUCTS)),
        "deep_page": (graphql, body(DEEP_PAGE, after=seeded.deep_cursor)),
    }
    inventory = {
        "stock_entities_100": (graphql, entities(STOCK_ENTITIES, ids[:100])),
        "stock_entities_20": (graphql, entities(STOCK_ENTITIES, ids[:20])),
        "adjust": (graphql, adjustment(ids[0])),
    }
    for size in SCALE_SIZES:
        products[f"products_entities_{size}"] = (graphql, entities(PRODUCT_ENTITIES, ids[:size]))
        inventory[f"inventory_entities_{size}"] = (graphql, entities(STOCK_ENTITIES, ids[:size]))
    floor_stock = {"stock_entities_100": ("/entities", inventory["stock_entities_100"][1])}
    return {
        "products": products,
        "inventory": inventory,
        "products_large": {"deep_page": (graphql, body(DEEP_PAGE, after=seeded.large_deep_cursor))},
        "floor-products": {"products_page": ("/products-page", products["products_page"][1])},
        "floor-inventory": floor_stock | {"adjust": ("/adjust", inventory["adjust"][1])},
    }


@dataclass(frozen=True)
class Workload:
    """POST one of `bodies` (at random) to `url` again and again; a good answer holds
    `must_contain` too, when set."""

    url: str
    bodies: tuple[bytes, ...]
    api_key: str
    must_contain: bytes | None = None

    @classmethod
    def of(cls, url: str, documents: list[Any], api_key: str, must: bytes | None) -> Workload:
        encoded = tuple(json.dumps(d, separators=(",", ":")).encode() for d in documents)
        return cls(url, encoded, api_key, must)

    def is_good(self, status: int, answer: bytes) -> bool:
        must = self.must_contain
        return status == 200 and b'"errors":' not in answer and (must is None or must in answer)


@dataclass(frozen=True)
class LoadResult:
    requests: int  # answered
    errors: int  # answered badly, or failed (connect/read/timeout)
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu: float  # the load generator's CPU time / wall time (1.0 = one core)
    error_detail: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rps": round(self.requests / self.seconds, 1) if self.seconds else 0}


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values (0.0 of none)."""
    return (
        ordered[max(0, min(len(ordered), round(fraction * len(ordered))) - 1)] if ordered else 0.0
    )


def merge(results: list[LoadResult]) -> LoadResult:
    """Rounds of one target added up: counts, time and CPU exactly, percentiles as the mean of
    the rounds' percentiles weighted by their requests (exact for one round)."""
    requests, seconds = sum(r.requests for r in results), sum(r.seconds for r in results)
    fields: dict[str, Any] = {
        p: sum(getattr(r, p) * r.requests for r in results) / max(requests, 1)
        for p in ("p50_ms", "p90_ms", "p99_ms")
    }
    fields["max_ms"] = max(r.max_ms for r in results)
    fields["client_cpu"] = sum(r.client_cpu * r.seconds for r in results) / seconds
    detail: Counter[str] = Counter()
    for result in results:
        detail.update(result.error_detail)  # keeps zero counts, as `+` would not
    errors = sum(r.errors for r in results)
    return LoadResult(requests, errors, seconds, **fields, error_detail=dict(detail))
