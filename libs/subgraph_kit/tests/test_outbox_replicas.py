"""Relays of several replicas over one outbox: each event published once, and the events of
one aggregate in the order they were committed, while writers keep committing."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.core.outbox import EventSink, OutboxRelay
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine, create_session_factory
from tiny_subgraph.notes import Base, NotesUnitOfWork, NoteWritten

WRITERS, RELAYS, AGGREGATES_PER_WRITER, CHANGES_PER_WRITER = 4, 4, 3, 150


class OrderedSink(EventSink):
    """Keeps what it is given, in the order given; a millisecond per event, so that relays
    running together overlap."""

    def __init__(self) -> None:
        self.published: list[PendingEvent] = []
        self.lock = threading.Lock()

    def publish(self, event: PendingEvent) -> None:
        time.sleep(0.001)
        with self.lock:
            self.published.append(event)


@pytest.fixture
def replicas(empty_database: str) -> Iterator[Callable[[], NotesUnitOfWork]]:
    """One engine per replica (their own connections), all over the same database; call it
    for the next replica's unit-of-work factory."""
    engines = []

    def replica() -> Callable[[], NotesUnitOfWork]:
        engine = create_db_engine(ServiceSettings(database_url=empty_database))
        if not engines:
            Base.metadata.create_all(engine)
        engines.append(engine)
        sessions = create_session_factory(engine)
        return lambda: NotesUnitOfWork(sessions)

    yield replica
    for engine in engines:
        engine.dispose()


def stage(uow: NotesUnitOfWork, aggregate: uuid.UUID, number: int) -> None:
    with uow:
        uow.outbox.add([NoteWritten(aggregate, datetime.now(UTC), {"number": number})])
        uow.commit()


def test_replicas_publish_each_event_once_and_in_commit_order_per_aggregate(replicas):
    writers = [replicas() for _ in range(WRITERS)]
    relays = [replicas() for _ in range(RELAYS)]
    sink, start, writing = OrderedSink(), threading.Barrier(WRITERS + RELAYS), threading.Event()
    writing.set()
    staged: dict[uuid.UUID, list[int]] = defaultdict(list)

    def write(uow_factory: Callable[[], NotesUnitOfWork]) -> None:
        # Each aggregate has one writer, as a row lock makes the services' writers of one
        # aggregate take turns; the writers' commits interleave with each other.
        aggregates = [uuid.uuid4() for _ in range(AGGREGATES_PER_WRITER)]
        start.wait()
        for change in range(CHANGES_PER_WRITER):
            aggregate = aggregates[change % len(aggregates)]
            stage(uow_factory(), aggregate, len(staged[aggregate]))
            staged[aggregate].append(len(staged[aggregate]))

    def relay(uow_factory: Callable[[], NotesUnitOfWork]) -> None:
        relay = OutboxRelay(uow_factory=uow_factory, sink=sink, interval=0)
        start.wait()
        while relay.run_once() or writing.is_set():
            time.sleep(0.001)  # nothing to take now: let the writers commit

    writer_threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    relay_threads = [threading.Thread(target=relay, args=(r,)) for r in relays]
    for thread in writer_threads + relay_threads:
        thread.start()
    for thread in writer_threads:
        thread.join(timeout=60)
    writing.clear()
    for thread in relay_threads:
        thread.join(timeout=60)
    # Whatever a relay left for another replica to take, one last pass takes now.
    OutboxRelay(uow_factory=relays[0], sink=sink, interval=0).run_once()

    published: dict[uuid.UUID, list[int]] = defaultdict(list)
    for event in sink.published:
        published[uuid.UUID(event.aggregate_id)].append(event.payload["number"])
    assert len(sink.published) == WRITERS * CHANGES_PER_WRITER
    assert len({event.event_id for event in sink.published}) == len(sink.published)
    assert published == staged


def test_a_claimed_event_holds_back_the_later_events_of_its_aggregate_only(
    replicas, is_postgres_database
):
    first, second = replicas(), replicas()
    held, other = uuid.uuid4(), uuid.uuid4()
    for number, aggregate in enumerate([held, other, held, other]):
        stage(first(), aggregate, number)

    with first() as one, second() as two:
        claimed = one.outbox.pending(limit=1)  # held's first event, locked by this replica
        taken = two.outbox.pending(limit=100)

    assert [e.payload["number"] for e in claimed] == [0]
    # The other replica skips the locked row, and held's next event, which must wait for it.
    assert [e.payload["number"] for e in taken] == [1, 3]


def test_an_event_is_free_to_go_once_the_replica_holding_its_predecessor_has_sent_it(
    replicas, is_postgres_database
):
    first, second = replicas(), replicas()
    aggregate = uuid.uuid4()
    for number in range(2):
        stage(first(), aggregate, number)

    with first() as one:
        (earlier,) = one.outbox.pending(limit=1)
        with second() as two:
            assert two.outbox.pending(limit=100) == []
        one.outbox.mark_sent([earlier.position], at=datetime.now(UTC))
        one.commit()
    with second() as two:
        assert [e.payload["number"] for e in two.outbox.pending(limit=100)] == [1]


@pytest.fixture
def is_postgres_database(empty_database: str) -> None:
    """Skip on SQLite: it has no row locks, and a second relay there waits for the first."""
    if not empty_database.startswith("postgresql"):
        pytest.skip("row claims are Postgres's; SQLite's relays take turns on its write lock")
