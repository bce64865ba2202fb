"""Helpers for calling the API in integration tests."""

from __future__ import annotations

from typing import Any

import httpx


class StatementCounter:
    """Count the SQL statements an engine executes."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded body (asserting HTTP 200)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


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
