"""DataLoaders keyed by the ids clients send: one batch, one query, whatever the number."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from subgraph_kit.core.ids import parse_uuid

# As many keys as `_entities` takes representations, so one request is one batch.
MAX_BATCH = 1000

T = TypeVar("T")
# `await run(use_case, request)`: a use case run in a worker thread with a fresh unit of work.
Run = Callable[..., Awaitable[Any]]


def batch_loader(load: Callable[[Sequence[Any]], Awaitable[list[T]]]) -> DataLoader[Any, T]:
    """A DataLoader that batches up to MAX_BATCH keys per call of `load`."""
    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def by_uuid(
    fetch: Callable[[list[UUID]], Awaitable[Sequence[T | None]]],
) -> Callable[[Sequence[str]], Awaitable[list[T | None]]]:
    """Turn `fetch(uuids) -> values in that order` into a load function over client ids.

    An id that is not a UUID finds nothing, without reaching the database.
    """

    async def load(ids: Sequence[str]) -> list[T | None]:
        wanted = [parse_uuid(value) for value in ids]
        valid = [uuid for uuid in wanted if uuid is not None]
        found = dict(zip(valid, await fetch(valid), strict=True)) if valid else {}
        return [found.get(uuid) if uuid is not None else None for uuid in wanted]

    return load
