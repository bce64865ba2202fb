"""A transaction Postgres ends as a deadlock is run again; other errors are not."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError
from subgraph_kit.sql.conflicts import ATTEMPTS, again_on_conflict, is_conflict


class Driver(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(f"driver error {pgcode}")
        self.pgcode = pgcode


def failing(pgcode: str) -> DBAPIError:
    return OperationalError("UPDATE t SET x = 1", {}, Driver(pgcode))


@pytest.fixture
def postgres_table(empty_database: str) -> Iterator[sa.Engine]:
    if not empty_database.startswith("postgresql"):
        pytest.skip("deadlocks are Postgres's: SQLite runs one writer at a time")
    engine = sa.create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL)"))
        connection.execute(sa.text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    yield engine
    engine.dispose()


def test_two_transactions_that_deadlock_both_end_done(postgres_table, caplog):
    # Each locks one row, then (once the other holds its own) the other's: a cycle Postgres
    # breaks by ending one of them. That one runs again, after the other has committed.
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: Counter[int] = Counter()
    errors: list[BaseException] = []

    def bump(first: int, second: int) -> None:
        attempts[first] += 1
        with postgres_table.begin() as connection:
            update = sa.text("UPDATE pair SET n = n + 1 WHERE id = :id")
            connection.execute(update, {"id": first})
            if attempts[first] == 1:
                both_hold_one.wait()
            connection.execute(update, {"id": second})

    def transaction(first: int, second: int) -> None:
        try:
            again_on_conflict(lambda: bump(first, second), name=f"bump {first} then {second}")
        except BaseException as error:  # reported below
            errors.append(error)

    with caplog.at_level(logging.WARNING, logger="app.db"):
        threads = [threading.Thread(target=transaction, args=pair) for pair in ((1, 2), (2, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # the victim, once more
    with postgres_table.connect() as connection:
        assert connection.execute(sa.text("SELECT sum(n) FROM pair")).scalar_one() == 4
    (warning,) = [record.getMessage() for record in caplog.records]
    assert warning.startswith("bump ")
    assert "deadlock detected" in warning
    assert "attempt 2 of 3" in warning


def test_a_conflict_every_time_is_raised_after_the_last_attempt():
    calls = 0

    def deadlocked() -> None:
        nonlocal calls
        calls += 1
        raise failing("40P01")

    with pytest.raises(OperationalError):
        again_on_conflict(deadlocked, name="deadlocked")
    assert calls == ATTEMPTS


@pytest.mark.parametrize("pgcode", ["23505", "57014", "55P03"])
def test_other_database_errors_are_raised_at_once(pgcode):
    # A unique violation, a cancelled statement, a lock timeout: running again would not help.
    calls = 0

    def refused() -> None:
        nonlocal calls
        calls += 1
        raise failing(pgcode)

    with pytest.raises(OperationalError):
        again_on_conflict(refused, name="refused")
    assert calls == 1


def test_only_serialization_failures_and_deadlocks_are_conflicts():
    assert is_conflict(failing("40001"))
    assert is_conflict(failing("40P01"))
    assert not is_conflict(failing("40002"))
    assert not is_conflict(ValueError("40P01"))
