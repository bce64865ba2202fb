"""Request deadlines: a request answers TIMEOUT by its deadline, and what it began commits nothing.

The database is held up with a SQLite write lock taken by another connection: the app's write
waits on it (the busy timeout is 30 s) while the request's deadline passes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from subgraph_kit.core.unit_of_work import DeadlineExceeded
from subgraph_kit.web.runtime import RequestTimedOut, Runtime
from tiny_subgraph.notes import NotesUnitOfWork

pytestmark = pytest.mark.anyio

WRITE = 'mutation { writeNote(input: {noteText: "late"}) { note { id } userErrors { code } } }'


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(request_timeout_seconds=0.5)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    return app.state.runtime


@pytest.fixture
def write_lock(sqlite_url: str) -> Iterator[Callable[[], None]]:
    """Hold the database's write lock from another connection; call the result to let go."""
    holder = sqlite3.connect(sa.make_url(sqlite_url).database or "", isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")  # as the app's connections will find it
    holder.execute("BEGIN IMMEDIATE")
    yield lambda: holder.execute("ROLLBACK") if holder.in_transaction else None
    holder.close()


def count(runtime: Runtime, table: str) -> int:
    with runtime.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


async def threads_ended(runtime: Runtime) -> None:
    """Wait (5 s at most) until the calls left in worker threads have ended."""
    for _ in range(100):
        if not runtime.in_threads:
            return
        await anyio.sleep(0.05)
    pytest.fail(f"{runtime.in_threads} call(s) still in worker threads after 5 s")


def sleeping(seconds: float, *, uow: Any) -> float:
    time.sleep(seconds)
    return seconds


async def test_a_request_held_up_by_the_database_answers_timeout_by_its_deadline(
    client, write_lock
):
    started = time.monotonic()
    response = await client.post("/graphql", json={"query": WRITE})
    elapsed = time.monotonic() - started
    write_lock()

    assert 0.4 < elapsed < 1.0
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"] == "The request did not finish in time."
    assert error["extensions"] == {
        "code": "TIMEOUT",
        "requestId": response.headers["X-Request-ID"],
    }


async def test_a_write_answered_timeout_never_commits_once_the_database_lets_it_go(
    client, runtime, write_lock
):
    response = await client.post("/graphql", json={"query": WRITE})
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert runtime.in_threads == 1  # the write is still waiting for the lock

    write_lock()
    await threads_ended(runtime)

    assert (count(runtime, "notes"), count(runtime, "outbox_events")) == (0, 0)


async def test_the_service_answers_as_usual_once_the_database_lets_go(client, runtime, write_lock):
    await client.post("/graphql", json={"query": WRITE})
    write_lock()
    await threads_ended(runtime)

    response = await client.post("/graphql", json={"query": WRITE})

    assert response.json()["data"]["writeNote"]["userErrors"] == []
    assert count(runtime, "notes") == 1


async def test_one_deadline_covers_every_use_case_a_request_runs(runtime):
    runtime.start_request()
    assert await runtime.run(sleeping, 0.3) == 0.3
    with pytest.raises(RequestTimedOut):
        await runtime.run(sleeping, 0.3)


async def test_a_use_case_run_outside_a_request_gets_the_whole_timeout(runtime):
    assert await runtime.run(sleeping, 0.3) == 0.3
    assert await runtime.run(sleeping, 0.3) == 0.3


def test_a_unit_of_work_past_its_deadline_opens_no_session(runtime):
    uow = NotesUnitOfWork(runtime.session_factory, deadline=time.monotonic() - 1)
    with pytest.raises(DeadlineExceeded), uow:
        pytest.fail("the block ran")
    assert not hasattr(uow, "session")


def test_a_commit_after_the_deadline_rolls_back_and_raises(runtime):
    uow = NotesUnitOfWork(runtime.session_factory, deadline=time.monotonic() + 0.2)
    with uow:
        uow.session.execute(sa.text("INSERT INTO notes (id, text) VALUES ('n1', 'late')"))
        time.sleep(0.3)
        with pytest.raises(DeadlineExceeded):
            uow.commit()
        assert not uow.session.in_transaction()
    assert count(runtime, "notes") == 0


def test_a_commit_before_the_deadline_is_kept(runtime):
    uow = NotesUnitOfWork(runtime.session_factory, deadline=time.monotonic() + 5)
    with uow:
        uow.session.execute(sa.text("INSERT INTO notes (id, text) VALUES ('n1', 'soon')"))
        uow.commit()
    assert count(runtime, "notes") == 1
