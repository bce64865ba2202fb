"""Opaque keyset cursors of the product listing: the sort, the sort key and the id."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from subgraph_kit.graphql.errors import BadUserInput
from subgraph_kit.graphql.pagination import decode_cursor

from app.domain.models import Product, ProductSort, SortKey, sort_key

_DATETIME_SORTS = (ProductSort.CREATED_AT_ASC, ProductSort.CREATED_AT_DESC)
_INT_SORTS = (ProductSort.PRICE_ASC, ProductSort.PRICE_DESC)


def encode_position(product: Product, sort: ProductSort) -> list[object]:
    """The cursor parts that point just after `product` in a listing ordered by `sort`."""
    value, product_id = sort_key(product, sort)
    plain = value.isoformat() if isinstance(value, datetime) else value
    return [sort.value, plain, str(product_id)]


def decode_position(cursor: str, sort: ProductSort) -> SortKey:
    """Return the keyset position a cursor names; refuse one from another sort or not ours."""
    value, product_id = decode_cursor(cursor, kind=sort.value, parts=2)
    try:
        return (_typed(value, sort), UUID(product_id))
    except (TypeError, ValueError, AttributeError):
        raise BadUserInput("`after` is not a valid cursor.") from None


def _typed(value: object, sort: ProductSort) -> object:
    if sort in _DATETIME_SORTS:
        if not isinstance(value, str):
            raise TypeError
        return datetime.fromisoformat(value)
    expected = int if sort in _INT_SORTS else str
    if type(value) is not expected or (expected is int and not -(2**63) < value < 2**63):
        raise TypeError
    return value
