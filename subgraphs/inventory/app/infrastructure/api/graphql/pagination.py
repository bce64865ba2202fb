"""Opaque keyset cursors of the inventory's lists."""

from __future__ import annotations

from uuid import UUID

from subgraph_kit.graphql.errors import BadUserInput
from subgraph_kit.graphql.pagination import decode_cursor


def decode_level_cursor(cursor: str) -> UUID:
    """Return the product id a stock-level cursor points after."""
    (product_id,) = decode_cursor(cursor, kind="level", parts=1)
    try:
        return UUID(str(product_id))
    except ValueError:
        raise BadUserInput("`after` is not a valid cursor.") from None


def decode_movement_cursor(cursor: str) -> int:
    """Return the movement position a movement cursor points after (older ones follow)."""
    (position,) = decode_cursor(cursor, kind="movement", parts=1)
    if type(position) is not int or not 0 < position < 2**63:
        raise BadUserInput("`after` is not a valid cursor.")
    return position
