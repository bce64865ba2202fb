"""Events in the trace of their change: the outbox row keeps the change's W3C trace context,
the relay's publish is a PRODUCER span under it, and a consumer's span (`consuming`) goes
under the publish, across a real RabbitMQ server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    StatusCode,
    TraceFlags,
    TraceState,
    format_span_id,
    format_trace_id,
    set_span_in_context,
)
from subgraph_kit.core.events import PendingEvent
from subgraph_kit.messaging.rabbit import BrokerUnavailable, RabbitEventSink
from subgraph_kit.observability.messaging import consuming, publishing
from subgraph_kit.observability.tracing import RequestsOnly
from subgraph_kit_testing.broker import ExchangeTap, through
from subgraph_kit_testing.tcp_proxy import TcpProxy
from test_rabbit_sink import event
from tiny_subgraph.notes import NotesUnitOfWork, NoteWritten


class Traced:
    """A tracer provider as the services build it (spans start only at requests), keeping
    every finished span in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(sampler=ParentBased(root=RequestsOnly()))
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("test")

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        (span,) = [span for span in self.spans() if span.name == name]
        return span


@pytest.fixture
def traced() -> Iterator[Traced]:
    traced = Traced()
    yield traced
    traced.provider.shutdown()


def stage_one(uow: NotesUnitOfWork) -> PendingEvent:
    """Commit one event and read it back from the outbox."""
    with uow:
        uow.outbox.add([NoteWritten(uuid.uuid4(), datetime.now(UTC), {})])
        uow.commit()
    with uow:
        (pending,) = uow.outbox.pending(limit=10)
    return pending


def remote(trace_id: int, span_id: int, *, sampled: bool = True, state: str = "") -> SpanContext:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return SpanContext(
        trace_id,
        span_id,
        is_remote=True,
        trace_flags=flags,
        trace_state=TraceState.from_header([state]) if state else TraceState(),
    )


def test_an_outbox_row_keeps_the_trace_context_of_the_span_that_staged_it(
    uow_factory, traced: Traced
):
    caller = remote(0xABC, 0x123, state="vendor=value")
    with traced.tracer.start_as_current_span(
        "POST /graphql", context=set_span_in_context(NonRecordingSpan(caller)), kind=SpanKind.SERVER
    ) as change:
        pending_context = change.get_span_context()
        uow = uow_factory()
        with uow:
            uow.outbox.add([NoteWritten(uuid.uuid4(), datetime.now(UTC), {})])
            uow.commit()
    with uow:
        (pending,) = uow.outbox.pending(limit=10)

    trace_id, span_id = (
        format_trace_id(pending_context.trace_id),
        format_span_id(pending_context.span_id),
    )
    assert pending.traceparent == f"00-{trace_id}-{span_id}-01"
    assert pending.tracestate == "vendor=value"


def test_an_outbox_row_staged_outside_any_span_has_no_trace_context(uow_factory):
    pending = stage_one(uow_factory())
    assert (pending.traceparent, pending.tracestate) == (None, None)
    assert pending.trace_headers() == {}


async def publish(sink: RabbitEventSink, *events: PendingEvent) -> None:
    try:
        for each in events:
            await anyio.to_thread.run_sync(sink.publish, each)
    finally:
        await anyio.to_thread.run_sync(sink.close)


pytest_anyio = pytest.mark.anyio
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest_anyio
async def test_a_publish_is_a_producer_span_under_the_change_and_the_consumer_under_it(
    broker_url: str, exchange: str, tap: ExchangeTap, traced: Traced
) -> None:
    trace_id, change_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    sent = replace(event(traceparent=f"00-{trace_id}-{change_span}-01"), tracestate="vendor=value")
    sink = RabbitEventSink(url=broker_url, exchange=exchange)
    sink.trace(traced.provider)

    await publish(sink, sent)
    (message,) = await tap.wait_for(1)
    with consuming(
        message.headers,
        queue="inventory.catalog",
        routing_key=message.routing_key or "",
        provider=traced.provider,
        message_id=message.message_id,
    ):
        pass

    publish_span = traced.named(f"publish {exchange}")
    assert publish_span.kind is SpanKind.PRODUCER
    assert format_trace_id(publish_span.context.trace_id) == trace_id
    assert publish_span.parent is not None
    assert format_span_id(publish_span.parent.span_id) == change_span
    assert dict(publish_span.attributes or {}) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": "stock.changed",
        "messaging.message.id": str(sent.event_id),
        "server.address": "127.0.0.1",
        "server.port": 5672,
    }
    # The message names the publish span, and passes the change's tracestate on.
    publish_id = format_span_id(publish_span.context.span_id)
    assert message.headers["traceparent"] == f"00-{trace_id}-{publish_id}-01"
    assert message.headers["tracestate"] == "vendor=value"
    process = traced.named("process inventory.catalog")
    assert process.kind is SpanKind.CONSUMER
    assert process.parent is not None
    assert process.parent.span_id == publish_span.context.span_id
    assert [link.context.span_id for link in process.links] == [publish_span.context.span_id]
    assert process.attributes["messaging.destination.name"] == "inventory.catalog"
    assert process.attributes["messaging.rabbitmq.destination.routing_key"] == "stock.changed"
    assert process.attributes["messaging.message.id"] == str(sent.event_id)


@pytest_anyio
async def test_an_event_staged_outside_a_trace_is_published_without_span_or_headers(
    broker_url: str, exchange: str, tap: ExchangeTap, traced: Traced
) -> None:
    sink = RabbitEventSink(url=broker_url, exchange=exchange)
    sink.trace(traced.provider)

    await publish(sink, event())
    (message,) = await tap.wait_for(1)
    with consuming(
        message.headers, queue="q", routing_key="stock.changed", provider=traced.provider
    ) as span:
        assert span is not None
        assert not span.is_recording()

    assert "traceparent" not in message.headers
    assert traced.spans() == []  # neither the publish nor the consumer starts a trace


@pytest_anyio
async def test_without_tracing_the_stored_trace_context_goes_on_unchanged(
    broker_url: str, exchange: str, tap: ExchangeTap
) -> None:
    sink = RabbitEventSink(url=broker_url, exchange=exchange)

    await publish(sink, event(traceparent=TRACEPARENT))
    (message,) = await tap.wait_for(1)

    assert message.headers["traceparent"] == TRACEPARENT
    assert "tracestate" not in message.headers
    with consuming(message.headers, queue="q", routing_key="k", provider=None) as span:
        assert span is None


@pytest_anyio
async def test_a_publish_the_broker_does_not_confirm_is_a_failed_span(
    broker_url: str, exchange: str, traced: Traced, broker_proxy: TcpProxy
) -> None:
    sink = RabbitEventSink(url=through(broker_proxy, broker_url), exchange=exchange)
    sink.trace(traced.provider)
    first, second = event(traceparent=TRACEPARENT), event(traceparent=TRACEPARENT)
    try:
        await anyio.to_thread.run_sync(sink.publish, first)
        broker_proxy.cut("refuse")
        with pytest.raises(BrokerUnavailable):
            await anyio.to_thread.run_sync(sink.publish, second)
    finally:
        await anyio.to_thread.run_sync(sink.close)

    confirmed, lost = [s for s in traced.spans() if s.kind is SpanKind.PRODUCER]
    assert confirmed.attributes["messaging.message.id"] == str(first.event_id)
    assert confirmed.status.status_code is StatusCode.UNSET
    assert lost.attributes["messaging.message.id"] == str(second.event_id)
    assert lost.status.status_code is StatusCode.ERROR


def test_an_unsampled_change_records_no_publish_span_and_passes_its_flag_on(
    traced: Traced,
) -> None:
    unsampled = event(traceparent=TRACEPARENT.removesuffix("-01") + "-00")
    with publishing(traced.tracer, unsampled, exchange="x", routing_key="k") as headers:
        pass

    assert traced.spans() == []
    assert headers["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert headers["traceparent"].endswith("-00")
