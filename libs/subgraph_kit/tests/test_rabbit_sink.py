"""The RabbitMQ sink against a real server: what a published event looks like there, and a
broker that is down or cut off, then back (through a TCP proxy)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import aio_pika
import anyio
import pytest
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.messaging.rabbit import Backoff, BrokerUnavailable, RabbitEventSink
from subgraph_kit_testing.broker import ExchangeTap, broker_server_url, through
from subgraph_kit_testing.tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio


def event(
    name: str = "StockChanged", payload: dict | None = None, traceparent: str | None = None
) -> PendingEvent:
    """An event as the relay reads it back, staged in a trace when `traceparent` is given."""
    return PendingEvent(
        position=1,
        event_id=uuid.uuid4(),
        name=name,
        aggregate_id=str(uuid.uuid4()),
        occurred_at=datetime.now(UTC),
        payload=payload or {"delta": 1},
        traceparent=traceparent,
    )


async def test_an_event_is_published_persistent_as_json_with_its_id_and_key(
    broker_url: str, exchange: str, tap: ExchangeTap
) -> None:
    sink = RabbitEventSink(url=broker_url, exchange=exchange, renamed={"LowStock": "stock.low"})
    sent = [event("StockChanged", {"delta": -3}), event("LowStock")]
    try:
        for each in sent:
            await anyio.to_thread.run_sync(sink.publish, each)
    finally:
        await anyio.to_thread.run_sync(sink.close)

    got = await tap.wait_for(2)
    assert [m.routing_key for m in got] == ["stock.changed", "stock.low"]
    assert [m.message_id for m in got] == [str(e.event_id) for e in sent]
    assert {m.content_type for m in got} == {"application/json"}
    assert {m.delivery_mode.value for m in got} == {2}  # persistent
    assert [m.type for m in got] == ["StockChanged", "LowStock"]
    body = json.loads(got[0].body)
    assert body["eventId"] == str(sent[0].event_id)
    assert body["type"] == "StockChanged"
    assert body["aggregateId"] == sent[0].aggregate_id
    assert body["payload"] == {"delta": -3}


async def test_the_exchange_is_declared_durable_topic_when_the_sink_connects(
    broker_url: str, exchange: str
) -> None:
    sink = RabbitEventSink(url=broker_url, exchange=exchange)
    assert await anyio.to_thread.run_sync(sink.ready)
    await anyio.to_thread.run_sync(sink.close)

    connection = await aio_pika.connect(broker_url)
    try:
        channel = await connection.channel()
        await channel.declare_exchange(exchange, passive=True)  # it exists
        # Declaring it again with other properties than the sink's is refused.
        with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
            await channel.declare_exchange(exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        channel = await connection.channel()
        same = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await same.delete()
    finally:
        await connection.close()


def test_a_broker_that_is_down_is_not_ready_and_refuses_the_event_at_once() -> None:
    sink = RabbitEventSink(url="amqp://guest:guest@127.0.0.1:1/", exchange="none")
    try:
        assert not sink.ready()
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable):
            sink.publish(event())  # within the backoff: no new connection attempt
        assert time.monotonic() - started < 0.1
        assert sink.backoff.failures == 1
    finally:
        sink.close()


def test_the_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff(first=0.5, most=4)
    assert [backoff.failed() for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]
    assert backoff.waiting()
    backoff.succeeded()
    assert not backoff.waiting()


async def test_a_cut_connection_fails_the_publish_and_the_sink_reconnects_after_it(
    broker_url: str, exchange: str, tap: ExchangeTap, broker_proxy: TcpProxy
) -> None:
    sink = RabbitEventSink(
        url=through(broker_proxy, broker_url),
        exchange=exchange,
        backoff=Backoff(first=0.1, most=0.2),
    )
    first, second = event(), event()
    try:
        await anyio.to_thread.run_sync(sink.publish, first)
        broker_proxy.cut("refuse")
        with pytest.raises(BrokerUnavailable):
            await anyio.to_thread.run_sync(sink.publish, second)
        assert not await anyio.to_thread.run_sync(sink.ready)
        broker_proxy.restore()
        await anyio.sleep(0.3)  # past the backoff
        await anyio.to_thread.run_sync(sink.publish, second)
    finally:
        await anyio.to_thread.run_sync(sink.close)

    got = await tap.wait_for(2)
    await anyio.sleep(0.2)  # anything more would be a duplicate
    assert [m.message_id for m in tap.messages] == [str(first.event_id), str(second.event_id)]
    assert len(got) == 2


def test_an_unreachable_broker_skips_its_tests_unless_required(monkeypatch) -> None:
    monkeypatch.setenv("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.delenv("REQUIRE_BROKER", raising=False)
    assert broker_server_url() is None
    monkeypatch.setenv("REQUIRE_BROKER", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_BROKER=1 but RabbitMQ is unreachable"):
        broker_server_url()


def test_a_reachable_broker_is_found(broker_url: str, monkeypatch) -> None:
    monkeypatch.setenv("TEST_BROKER_URL", broker_url)
    assert broker_server_url() == broker_url
