"""Helpers for calling the API in integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from subgraph_kit_testing.databases import empty_tables, insert_rows
from subgraph_kit_testing.http import graphql

from app.domain.models import DEFAULT_LOCATION_CODE, DEFAULT_LOCATION_ID
from app.infrastructure.db.models import Base, LocationRow


def empty_database(engine: sa.Engine) -> None:
    """Delete every row, then put back the DEFAULT location the migration creates."""
    empty_tables(engine, Base.metadata)
    default = {
        "id": DEFAULT_LOCATION_ID,
        "code": DEFAULT_LOCATION_CODE,
        "name": "Default location",
        "active": True,
        "created_at": datetime.now(UTC),
    }
    insert_rows(engine, LocationRow.__table__, [default])


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
    """Call adjustStock (RECEIVED, or SOLD when `delta` is negative) and return its payload."""
    reason = "RECEIVED" if delta > 0 else "SOLD"
    given = {"productId": product_id, "delta": delta, "reason": reason} | fields
    return (await graphql(client, ADJUST, input=given))["data"]["adjustStock"]


async def set_stock(
    client: httpx.AsyncClient, product_id: str, on_hand: int, **fields: Any
) -> dict[str, Any]:
    """Call setStock and return its payload."""
    given = {"productId": product_id, "onHand": on_hand} | fields
    return (await graphql(client, SET, input=given))["data"]["setStock"]
