"""Every write takes its locks in one order (catalog entry, location, levels, holds), so no two
writes wait for each other and Postgres never has to end one as a deadlock.

Each test plays one write from a connection of its own: it takes that write's first lock, lets
the app's write start and wait behind it, then takes the lock that write would take next. Had
the app's write taken its locks in the other order, it would hold that lock already: the
test's statement would wait for it (and give up at `lock_timeout`), the two waiting for each
other.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.infrastructure.db.audit import audit
from tests.integration.helpers import adjust
from tests.integration.reservation_helpers import (
    commit,
    holds_of,
    levels_of,
    line,
    release,
    reserve,
)

pytestmark = pytest.mark.anyio

# Well under Postgres's deadlock_timeout (1 s): the test's second lock gives up before
# Postgres would look for a cycle and end one of the two.
LOCK_TIMEOUT = "500ms"


@pytest.fixture
def other_write(app, is_postgres) -> Iterator[sa.Connection]:
    """A connection of the test's own, in a transaction, that waits at most LOCK_TIMEOUT."""
    if not is_postgres:
        pytest.skip("row locks are Postgres's: SQLite runs one writer at a time")
    engine = app.state.runtime.engine
    with engine.connect() as connection:
        connection.execute(sa.text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
        yield connection
        connection.rollback()


async def waiting_for_a_lock(engine: sa.Engine) -> None:
    """Return once a connection of this database waits for a lock (within 5 s)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        await asyncio.sleep(0.02)
    pytest.fail("the app's write never waited for the test's lock")


async def held_with_its_levels_locked(client, product: str, other_write: sa.Connection) -> None:
    """Hold 2 of 5 for "cart", then lock the product's levels, as the release of a deleted
    product's holds starts (then it changes the holds)."""
    await adjust(client, product, 5)
    await reserve(client, "cart", line(product, 2))
    levels = sa.text("SELECT 1 FROM stock_levels WHERE product_id = :p FOR UPDATE")
    other_write.execute(levels, {"p": uuid.UUID(product)})


async def test_a_commit_locks_the_levels_before_the_holds(client, app, product, other_write):
    await held_with_its_levels_locked(client, product, other_write)
    committing = asyncio.create_task(commit(client, "cart"))
    await waiting_for_a_lock(app.state.runtime.engine)
    freed = other_write.execute(
        sa.text(
            "UPDATE reservations SET status = 'RELEASED'"
            " WHERE product_id = :p AND status = 'ACTIVE'"
        ),
        {"p": uuid.UUID(product)},
    )
    assert freed.rowcount == 1
    other_write.commit()
    # The commit then finds the hold released: nothing to sell, and no error.
    assert (await committing) == {"reservations": [], "userErrors": []}
    assert [hold["status"] for hold in await holds_of(client, "cart")] == ["RELEASED"]
    assert await levels_of(client, product) == {
        "DEFAULT": {"onHand": 5, "reserved": 0, "available": 5}
    }


async def test_a_release_locks_the_levels_before_the_holds(client, app, product, other_write):
    # Two holds of one reference and product (split over two locations) could otherwise be
    # taken in one order by the release and in the other by the deleted product's release.
    await held_with_its_levels_locked(client, product, other_write)
    releasing = asyncio.create_task(release(client, "cart"))
    await waiting_for_a_lock(app.state.runtime.engine)
    other_write.commit()
    answer = await releasing
    assert [hold["status"] for hold in answer["reservations"]] == ["RELEASED"]


async def test_a_write_that_finds_its_product_deleted_writes_the_entry_before_the_levels(
    client, app, catalog, product, other_write
):
    # What the consumer of `product.deleted` does: the product's entry, then its levels.
    await adjust(client, product, 5)
    del catalog.products[uuid.UUID(product)]
    other_write.execute(
        sa.text(
            "INSERT INTO catalog_products (product_id, status, deleted, as_of)"
            " VALUES (:p, NULL, true, :now)"
        ),
        {"p": uuid.UUID(product), "now": datetime.now(UTC)},
    )
    adjusting = asyncio.create_task(adjust(client, product, 1))
    await waiting_for_a_lock(app.state.runtime.engine)
    levels = sa.text("SELECT 1 FROM stock_levels WHERE product_id = :p FOR UPDATE")
    assert len(other_write.execute(levels, {"p": uuid.UUID(product)}).all()) == 1
    other_write.rollback()
    answer = await adjusting
    assert [error["code"] for error in answer["userErrors"]] == ["PRODUCT_NOT_FOUND"]
    assert await levels_of(client, product) == {}  # retired by the write's lookup
    assert audit(app.state.runtime.engine, now=datetime.now(UTC)) == []
