"""The outbox: the relay over fakes, and the SQLAlchemy adapter on SQLite and Postgres."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from subgraph_kit import cli
from subgraph_kit.core.events import DomainEvent, PendingEvent
from subgraph_kit.core.outbox import EventSink, LogEventSink, OutboxRelay, relay_events
from subgraph_kit.settings import ServiceSettings
from subgraph_kit_testing.fakes import FakeUnitOfWork
from tiny_subgraph.notes import NotesUnitOfWork, NoteWritten


class RecordingSink(EventSink):
    """Keeps what it is given; fails once instead, on call number `fail_on` (from 0)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.published: list[PendingEvent] = []
        self.calls = 0
        self.fail_on = fail_on

    def publish(self, event: PendingEvent) -> None:
        self.calls += 1
        if self.calls - 1 == self.fail_on:
            raise ConnectionError("sink down")
        self.published.append(event)


class BrokenSink(EventSink):
    def publish(self, event: PendingEvent) -> None:
        raise ConnectionError("sink down")


def commit_events(uow: Any, count: int, at: datetime | None = None) -> list[DomainEvent]:
    """Stage `count` events in one unit of work and commit it."""
    with uow:
        events = [
            NoteWritten(uuid.uuid4(), at or uow.now(), {"number": n, "text": "é"})
            for n in range(count)
        ]
        uow.outbox.add(events)
        uow.commit()
    return events


def ids(events: list[Any]) -> list[uuid.UUID]:
    return [event.event_id for event in events]


def test_the_relay_delivers_pending_events_in_commit_order_and_marks_them_sent():
    uow, sink = FakeUnitOfWork(), RecordingSink()
    events = commit_events(uow, 2) + commit_events(uow, 1)
    assert relay_events(uow=uow, sink=sink) == 3
    assert ids(sink.published) == ids(events)
    assert all(row.sent_at is not None for row in uow.committed["events"])
    assert relay_events(uow=uow, sink=sink) == 0


def test_the_relay_keeps_events_pending_when_the_sink_fails_and_delivers_them_next_pass():
    uow = FakeUnitOfWork()
    events = commit_events(uow, 3)
    sink = RecordingSink(fail_on=1)
    assert relay_events(uow=uow, sink=sink) == 1
    assert relay_events(uow=uow, sink=sink) == 2
    assert ids(sink.published) == ids(events)


def test_run_once_delivers_batch_after_batch_until_nothing_is_pending():
    uow, sink = FakeUnitOfWork(), RecordingSink()
    events = commit_events(uow, 250)
    relay = OutboxRelay(uow_factory=lambda: uow, sink=sink, interval=1)
    assert relay.run_once() == 250
    assert ids(sink.published) == ids(events)


def test_run_once_stops_at_a_sink_that_keeps_failing():
    uow = FakeUnitOfWork()
    commit_events(uow, 3)
    relay = OutboxRelay(uow_factory=lambda: uow, sink=BrokenSink(), interval=1)
    assert relay.run_once() == 0


class UnreadySink(RecordingSink):
    """A sink that cannot deliver now (a broker down, a backoff running)."""

    def ready(self) -> bool:
        return False


def test_run_once_opens_no_unit_of_work_while_the_sink_is_not_ready():
    uow, sink = FakeUnitOfWork(), UnreadySink()
    commit_events(uow, 3)
    opened: list[FakeUnitOfWork] = []

    def uow_factory() -> FakeUnitOfWork:
        opened.append(uow)
        return uow

    relay = OutboxRelay(uow_factory=uow_factory, sink=sink, interval=1)
    assert relay.run_once() == 0
    assert opened == []  # no transaction is held while the sink connects or waits
    assert sink.calls == 0


def test_the_log_sink_writes_each_event_as_one_json_line(caplog):
    uow = FakeUnitOfWork()
    (event,) = commit_events(uow, 1)
    with caplog.at_level(logging.INFO, logger="app.events"):
        relay_events(uow=uow, sink=LogEventSink())
    assert json.loads(caplog.records[0].getMessage()) == {
        "event": "NoteWritten",
        "eventId": str(event.event_id),
        "aggregateId": str(event.aggregate_id),
        "occurredAt": event.occurred_at.isoformat(),
        "payload": {"number": 0, "text": "é"},
    }


def test_the_relay_command_delivers_what_is_pending_once(monkeypatch, capsys):
    uow = FakeUnitOfWork()
    commit_events(uow, 2)
    monkeypatch.setattr(sys, "argv", ["python -m app", "relay"])
    cli.main(
        lambda: ServiceSettings(database_url="sqlite://"),
        lambda _: OutboxRelay(uow_factory=lambda: uow, sink=RecordingSink(), interval=1),
    )
    assert capsys.readouterr().out == "delivered 2 events\n"


def pending(uow: NotesUnitOfWork, limit: int = 100) -> list[PendingEvent]:
    with uow:
        return uow.outbox.pending(limit=limit)


def test_stored_events_come_back_pending_in_commit_order_with_their_fields(uow_factory):
    events = commit_events(uow_factory(), 2) + commit_events(uow_factory(), 1)
    found = pending(uow_factory())
    assert [(p.event_id, p.name, p.aggregate_id, p.payload, p.occurred_at) for p in found] == [
        (e.event_id, e.name, str(e.aggregate_id), e.payload, e.occurred_at) for e in events
    ]
    assert [p.position for p in found] == sorted(p.position for p in found)


def test_pending_hands_back_at_most_the_limit_oldest_first(uow_factory):
    events = commit_events(uow_factory(), 3)
    assert ids(pending(uow_factory(), limit=2)) == ids(events[:2])


def test_an_event_time_keeps_its_instant_whatever_its_offset(uow_factory):
    paris_summer = datetime(2026, 7, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    commit_events(uow_factory(), 1, at=paris_summer)
    (found,) = pending(uow_factory())
    assert found.occurred_at == paris_summer
    assert found.occurred_at.utcoffset() is not None


def test_events_marked_sent_are_pending_no_more(uow_factory):
    events = commit_events(uow_factory(), 3)
    with uow_factory() as uow:
        first = uow.outbox.pending(limit=1)[0]
        uow.outbox.mark_sent([first.position], at=datetime.now(UTC))
        uow.commit()
    assert ids(pending(uow_factory())) == ids(events[1:])


def test_events_of_a_unit_of_work_left_without_commit_are_not_stored(uow_factory):
    with uow_factory() as uow:
        uow.outbox.add([NoteWritten(uuid.uuid4(), datetime.now(UTC), {})])
    assert pending(uow_factory()) == []


def test_the_relay_over_the_database_delivers_each_event_once(uow_factory):
    events = commit_events(uow_factory(), 2)
    sink = RecordingSink()
    assert relay_events(uow=uow_factory(), sink=sink) == 2
    assert relay_events(uow=uow_factory(), sink=sink) == 0
    assert ids(sink.published) == ids(events)
