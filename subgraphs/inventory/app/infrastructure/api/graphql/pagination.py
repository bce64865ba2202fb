"""Opaque keyset cursors of the inventory's lists."""

from __future__ import annotations

from uuid import UUID

from subgraph_kit.graphql.errors import BadUserInput
from subgraph_kit.graphql.pagination import decode_cursor

from app.domain.models import LevelKey

INVALID = "`after` is not a valid cursor."


def decode_level_cursor(cursor: str) -> LevelKey:
    """Return the (product id, location id) a stock-level cursor points after."""
    product_id, location_id = decode_cursor(cursor, kind="level", parts=2)
    try:
        return UUID(str(product_id)), UUID(str(location_id))
    except ValueError:
        raise BadUserInput(INVALID) from None


def decode_location_cursor(cursor: str) -> str:
    """Return the location code a location cursor points after."""
    (code,) = decode_cursor(cursor, kind="location", parts=1)
    if not isinstance(code, str):
        raise BadUserInput(INVALID)
    return code


def decode_movement_cursor(cursor: str) -> int:
    """Return the movement position a movement cursor points after (older ones follow)."""
    (position,) = decode_cursor(cursor, kind="movement", parts=1)
    if type(position) is not int or not 0 < position < 2**63:
        raise BadUserInput(INVALID)
    return position
