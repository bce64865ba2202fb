"""What every read returns: items in the order asked, and pages of a keyset listing."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def in_order_asked(
    keys: Sequence[K], found: Iterable[T], *, key: Callable[[T], K]
) -> list[T | None]:
    """The items `found` for `keys`, in the order of `keys`, None where one was not found."""
    by_key = {key(item): item for item in found}
    return [by_key.get(wanted) for wanted in keys]


def page_of(rows: Sequence[T], first: int) -> tuple[list[T], bool]:
    """Split `first + 1` rows read into the page of `first` and whether another page follows."""
    return list(rows[:first]), len(rows) > first
