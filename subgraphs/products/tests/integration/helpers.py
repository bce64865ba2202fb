"""Helpers for calling the API in integration tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from subgraph_kit_testing.http import graphql

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
