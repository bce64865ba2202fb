"""Opaque keyset cursors and the bounds of a connection page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar
from uuid import UUID

import strawberry

from app.infrastructure.api.graphql.errors import BadUserInput

MAX_PAGE_SIZE = 100
NodeT = TypeVar("NodeT")


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Matching items in all pages; costs one COUNT query.")
    async def total_count(self) -> int:
        return await self.count()


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


def encode_cursor(kind: str, position: str | int) -> str:
    raw = json.dumps([kind, position], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, kind: str) -> object:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if name != kind:
        raise BadUserInput("`after` was issued for another list.")
    return position


def decode_level_cursor(cursor: str) -> UUID:
    """Return the product id a stock-level cursor points after."""
    try:
        return UUID(str(_decode(cursor, "level")))
    except ValueError:
        raise BadUserInput("`after` is not a valid cursor.") from None


def decode_movement_cursor(cursor: str) -> int:
    """Return the movement position a movement cursor points after (older ones follow)."""
    position = _decode(cursor, "movement")
    if type(position) is not int or not 0 < position < 2**63:
        raise BadUserInput("`after` is not a valid cursor.")
    return position


def connection(
    nodes: Sequence[NodeT],
    cursors: Sequence[str],
    *,
    has_next: bool,
    after: str | None,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """Assemble a Relay connection from one page of nodes and their cursors."""
    edges = [Edge(cursor=cursor, node=node) for cursor, node in zip(cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        count=count,
    )
