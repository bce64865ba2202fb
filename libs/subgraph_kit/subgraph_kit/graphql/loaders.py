"""DataLoaders keyed by the ids clients send: one batch, one query, whatever the number."""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader
from strawberry.exceptions import WrongNumberOfResultsReturned

from subgraph_kit.core.ids import parse_uuid

# As many keys as `_entities` takes representations, so one request is one batch.
MAX_BATCH = 1000

K = TypeVar("K")
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


async def load_all(loader: DataLoader[K, T], keys: Sequence[K]) -> list[T]:
    """`loader.load_many(keys)` for a batch known whole (`_entities`): the keys no load has
    asked for go to the load function at once (MAX_BATCH a call), without the future, task
    and callback `load` makes per key, and are then cached as `load` caches them; the others
    answer from the cache (awaiting a batch still under way)."""
    if not loader.cache:
        return await loader.load_many(keys)
    cached = loader.cache_map
    missing = list(dict.fromkeys(key for key in keys if not usable(cached.get(key))))
    found: list[Any] = []
    for start in range(0, len(missing), MAX_BATCH):
        found += await loader.load_fn(missing[start : start + MAX_BATCH])
    if len(found) != len(missing):
        raise WrongNumberOfResultsReturned(expected=len(missing), received=len(found))
    for key, value in zip(missing, found, strict=True):
        future = loader.loop.create_future()
        if isinstance(value, BaseException):  # as a batch of `load` hands it on
            future.set_exception(value)
        else:
            future.set_result(value)
        cached.set(key, future)
    answers = []
    for key in keys:
        future = cached.get(key)
        assert future is not None  # set above if it was not cached
        answers.append(future.result() if future.done() else await future)
    return answers


def usable(future: Future[Any] | None) -> bool:
    return future is not None and not future.cancelled()
