"""Opaque keyset cursors and the bounds of a connection page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from uuid import UUID

from app.domain.models import Product, ProductSort, SortKey, sort_key
from app.infrastructure.api.graphql.errors import BadUserInput

MAX_PAGE_SIZE = 100
_DATETIME_SORTS = (ProductSort.CREATED_AT_ASC, ProductSort.CREATED_AT_DESC)
_INT_SORTS = (ProductSort.PRICE_ASC, ProductSort.PRICE_DESC)


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


def encode_cursor(product: Product, sort: ProductSort) -> str:
    """Return the opaque cursor that points just after `product` in a listing ordered by `sort`."""
    value, product_id = sort_key(product, sort)
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort.value, plain, str(product_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: ProductSort) -> SortKey:
    """Return the keyset position a cursor names; refuse one from another sort or not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, product_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = (_typed(value, sort), UUID(product_id))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if name != sort.value:
        raise BadUserInput("`after` was issued for another sort order.")
    return key


def _typed(value: object, sort: ProductSort) -> object:
    if sort in _DATETIME_SORTS:
        if not isinstance(value, str):
            raise TypeError
        return datetime.fromisoformat(value)
    expected = int if sort in _INT_SORTS else str
    if type(value) is not expected or (expected is int and not -(2**63) < value < 2**63):
        raise TypeError
    return value
