"""Helpers for calling the API in integration tests."""

from __future__ import annotations

from typing import Any

import httpx
from subgraph_kit_testing.http import graphql

LEVEL_FIELDS = "productId onHand available reorderPoint lowStock tracked version"
ADJUST = f"""
mutation ($input: AdjustStockInput!) {{
  adjustStock(input: $input) {{
    stockLevel {{ {LEVEL_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""
SET = f"""
mutation ($input: SetStockInput!) {{
  setStock(input: $input) {{
    stockLevel {{ {LEVEL_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""


async def adjust(
    client: httpx.AsyncClient, product_id: str, delta: int, **fields: Any
) -> dict[str, Any]:
    """Call adjustStock and return its payload."""
    given = {"productId": product_id, "delta": delta, "reason": "RECEIVED"} | fields
    return (await graphql(client, ADJUST, input=given))["data"]["adjustStock"]


async def set_stock(
    client: httpx.AsyncClient, product_id: str, on_hand: int, **fields: Any
) -> dict[str, Any]:
    """Call setStock and return its payload."""
    given = {"productId": product_id, "onHand": on_hand} | fields
    return (await graphql(client, SET, input=given))["data"]["setStock"]
