"""Relay connections over pages of domain items, and their opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from subgraph_kit.core.commands import storable
from subgraph_kit.graphql.errors import BadUserInput

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
    """A Relay connection over one page of domain items.

    Nodes and cursors are made only for the fields a query selects (a page of `nodes` makes
    no cursors), and each node once.
    """

    page: strawberry.Private[Sequence[Any]]
    make_node: strawberry.Private[Callable[[Any], NodeT]]
    make_cursor: strawberry.Private[Callable[[Any], str]]
    has_next: strawberry.Private[bool]
    after: strawberry.Private[str | None]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def edges(self) -> list[Edge[NodeT]]:
        return [
            Edge(cursor=self.make_cursor(item), node=node)
            for item, node in zip(self.page, self._nodes, strict=True)
        ]

    @strawberry.field
    def page_info(self) -> PageInfo:
        # hasPreviousPage is true exactly when the page starts after a cursor: that cursor's
        # own item precedes the page.
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.after is not None,
            start_cursor=self.make_cursor(self.page[0]) if self.page else None,
            end_cursor=self.make_cursor(self.page[-1]) if self.page else None,
        )

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return self._nodes

    @strawberry.field(description="Matching items in all pages; costs one COUNT query.")
    async def total_count(self) -> int:
        return await self.count()

    @functools.cached_property
    def _nodes(self) -> list[NodeT]:
        return [self.make_node(item) for item in self.page]


def connection(
    page: Sequence[Any],
    *,
    node: Callable[[Any], NodeT],
    cursor: Callable[[Any], str],
    has_next: bool,
    after: str | None,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """A Relay connection over `page`; `node` and `cursor` turn one item into its node/cursor."""
    return Connection(
        page=page, make_node=node, make_cursor=cursor, has_next=has_next, after=after, count=count
    )


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


def encode_cursor(*parts: object) -> str:
    """Make an opaque cursor of JSON-ready parts."""
    raw = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, kind: str, parts: int) -> list[Any]:
    """Return the parts after `kind` of a cursor made by `encode_cursor(kind, ...)`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    # RecursionError: JSON nested deeper than the interpreter's stack (a crafted cursor).
    except (ValueError, TypeError, binascii.Error, UnicodeError, RecursionError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if not isinstance(decoded, list) or len(decoded) != parts + 1:
        raise BadUserInput("`after` is not a valid cursor.")
    if decoded[0] != kind:
        raise BadUserInput("`after` was issued for another list or sort order.")
    if any(isinstance(part, str) and not storable(part) for part in decoded):
        raise BadUserInput("`after` is not a valid cursor.")
    return decoded[1:]
