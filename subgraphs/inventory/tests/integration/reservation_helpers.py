"""Calling the reservation API in integration tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.helpers import graphql

HOLD_FIELDS = "id reference quantity status expiresAt product { id } location { id code }"
RESERVE = f"""
mutation ($input: ReserveStockInput!) {{
  reserveStock(input: $input) {{
    reservations {{ {HOLD_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
COMMIT = f"""
mutation ($reference: String!) {{
  commitReservations(reference: $reference) {{
    reservations {{ {HOLD_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
RELEASE = f"""
mutation ($reference: String!, $productIds: [ID!]) {{
  releaseReservations(reference: $reference, productIds: $productIds) {{
    reservations {{ {HOLD_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
HOLDS = f"""
query ($reference: String!, $status: [ReservationStatus!]) {{
  reservations(reference: $reference, status: $status) {{ {HOLD_FIELDS} }}
}}"""
LEVEL = """
query ($ids: [ID!]) {
  stockLevels(first: 100, filter: {productIds: $ids}) {
    nodes { onHand reserved available location { code } }
  }
}"""


def line(product: str, quantity: int, location: str | None = None) -> dict[str, Any]:
    given: dict[str, Any] = {"productId": product, "quantity": quantity}
    return given if location is None else given | {"locationId": location}


async def reserve(
    client: httpx.AsyncClient, reference: str, *lines: dict[str, Any], **more: Any
) -> dict[str, Any]:
    """Call reserveStock and return its payload."""
    given = {"reference": reference, "lines": list(lines)} | more
    return (await graphql(client, RESERVE, input=given))["data"]["reserveStock"]


async def commit(client: httpx.AsyncClient, reference: str) -> dict[str, Any]:
    return (await graphql(client, COMMIT, reference=reference))["data"]["commitReservations"]


async def release(client: httpx.AsyncClient, reference: str, **more: Any) -> dict[str, Any]:
    body = await graphql(client, RELEASE, reference=reference, **more)
    return body["data"]["releaseReservations"]


async def holds_of(client: httpx.AsyncClient, reference: str, **more: Any) -> list[dict[str, Any]]:
    return (await graphql(client, HOLDS, reference=reference, **more))["data"]["reservations"]


async def levels_of(client: httpx.AsyncClient, product: str) -> dict[str, dict[str, int]]:
    """Each level of a product by location code: onHand, reserved, available."""
    nodes = (await graphql(client, LEVEL, ids=[product]))["data"]["stockLevels"]["nodes"]
    return {node.pop("location")["code"]: node for node in nodes}


def codes_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]
