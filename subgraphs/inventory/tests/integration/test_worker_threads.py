"""Writes wait on products in worker threads of their own, so reads keep theirs; and no more
transactions are open at once than the database has connections for."""

from __future__ import annotations

import asyncio
import threading
import uuid

import anyio
import anyio.from_thread
import pytest
import sqlalchemy as sa
from subgraph_kit_testing.http import API_KEY, graphql

from app.domain.models import CatalogProduct
from app.settings import Settings
from tests.integration.helpers import adjust
from tests.unit.fakes import FakeCatalog

pytestmark = pytest.mark.anyio

POOL = 2
LEVELS = "{ stockLevels(first: 5) { nodes { productId } } }"


class SlowCatalog(FakeCatalog):
    """A catalog that, after `hold(callers)`, answers only once `answer` is set; the event
    `hold` returns is set when that many callers wait."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = threading.Event()
        self.answer.set()
        self.lock = threading.Lock()
        self.waiting = 0

    def hold(self, callers: int) -> anyio.Event:
        self.answer.clear()
        self.callers, self.all_waiting = callers, anyio.Event()
        return self.all_waiting

    def get(self, product_id: uuid.UUID) -> CatalogProduct | None:
        if not self.answer.is_set():
            with self.lock:
                self.waiting += 1
                if self.waiting == self.callers:
                    anyio.from_thread.run_sync(self.all_waiting.set)
            self.answer.wait(timeout=10)
        return super().get(product_id)


@pytest.fixture
def catalog() -> SlowCatalog:
    return SlowCatalog()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600, db_pool_size=POOL
    )


async def test_reads_are_answered_while_more_writes_than_read_threads_wait_on_products(
    client, catalog
):
    product = str(catalog.add(uuid.uuid4()))
    all_waiting = catalog.hold(3 * POOL)
    writes = [asyncio.create_task(adjust(client, product, 1)) for _ in range(3 * POOL)]
    try:
        with anyio.fail_after(5):
            await all_waiting.wait()
            body = await graphql(client, LEVELS)
        assert body["data"]["stockLevels"]["nodes"] == []
    finally:
        catalog.answer.set()
    results = await asyncio.gather(*writes)
    assert [r["userErrors"] for r in results] == [[]] * 3 * POOL
    assert sorted(r["stockLevel"]["onHand"] for r in results) == list(range(1, 3 * POOL + 1))


async def test_no_more_transactions_are_open_at_once_than_reads_have_threads(app, client, catalog):
    products = [str(catalog.add(uuid.uuid4())) for _ in range(4)]
    engine = app.state.runtime.engine
    open_now, most = 0, 0
    lock = threading.Lock()

    def checked_out(*_: object) -> None:
        nonlocal open_now, most
        with lock:
            open_now += 1
            most = max(most, open_now)

    def checked_in(*_: object) -> None:
        nonlocal open_now
        with lock:
            open_now -= 1

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "checkin", checked_in)
    try:
        writes = (adjust(client, products[n % 4], 1, idempotencyKey=f"k{n}") for n in range(40))
        results = await asyncio.gather(*writes)
    finally:
        sa.event.remove(engine, "checkout", checked_out)
        sa.event.remove(engine, "checkin", checked_in)
    assert all(r["userErrors"] == [] for r in results)
    assert 1 <= most <= POOL
