"""Helpers for calling the API in integration tests."""

from __future__ import annotations

import uuid
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


CREATE = """
mutation ($input: CreateProductInput!) {
  createProduct(input: $input) {
    product { id sku name description price { amount currencyCode } status createdAt updatedAt }
    userErrors { field message code }
  }
}"""


async def create_product(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """Create a product through the API and return it."""
    given = {
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Widget",
        "price": {"amount": "9.99", "currencyCode": "EUR"},
    }
    body = await graphql(client, CREATE, input=given | fields)
    payload = body["data"]["createProduct"]
    assert payload["userErrors"] == [], payload
    return payload["product"]
