"""Spans of the events on the broker, as OpenTelemetry's messaging semantic conventions name
them: a PRODUCER span per publish, in the trace of the change that staged the event, and a
CONSUMER span per message processed, in the trace of its publish.

The spans are made here with the OpenTelemetry API rather than by FastStream's
TelemetryMiddleware: the middleware parents a publish on the current context (the relay's,
which belongs to no request), opens two spans per message ("create" and "publish") and
names them by its older conventions (`{exchange}.{key} publish`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.semconv.attributes import server_attributes as server
from opentelemetry.trace import Link, Span, SpanKind, Tracer, TracerProvider, get_current_span
from opentelemetry.util.types import AttributeValue

from subgraph_kit.core.events import PendingEvent
from subgraph_kit.observability.trace_context import PROPAGATOR, context_from

RABBITMQ = messaging.MessagingSystemValues.RABBITMQ.value
SCOPE = "subgraph_kit.messaging"


@contextlib.contextmanager
def publishing(
    tracer: Tracer | None,
    event: PendingEvent,
    *,
    exchange: str,
    routing_key: str,
    host: str | None = None,
    port: int | None = None,
) -> Iterator[dict[str, str]]:
    """Yield the W3C trace headers to publish `event` with, inside its publish span.

    The span (`publish {exchange}`, kind PRODUCER) is a child of the context stored with the
    event, and the headers carry the span's own context on to the consumers. An event staged
    outside a trace gets no span (the relay's polling starts no trace) and no headers; with
    no `tracer` (tracing off) the stored context goes on unchanged.
    """
    stored = event.trace_headers()
    parent = context_from(stored) if tracer is not None else None
    if tracer is None or parent is None:
        yield stored
        return
    attributes: dict[str, AttributeValue] = {
        messaging.MESSAGING_SYSTEM: RABBITMQ,
        messaging.MESSAGING_OPERATION_TYPE: messaging.MessagingOperationTypeValues.SEND.value,
        messaging.MESSAGING_OPERATION_NAME: "publish",
        messaging.MESSAGING_DESTINATION_NAME: exchange,
        messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: routing_key,
        messaging.MESSAGING_MESSAGE_ID: str(event.event_id),
    }
    if host is not None:
        attributes[server.SERVER_ADDRESS] = host
    if port is not None:
        attributes[server.SERVER_PORT] = port
    with tracer.start_as_current_span(
        f"publish {exchange}", context=parent, kind=SpanKind.PRODUCER, attributes=attributes
    ):
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers)
        yield headers


@contextlib.contextmanager
def consuming(
    headers: Mapping[str, object] | None,
    *,
    queue: str,
    routing_key: str,
    provider: TracerProvider | None,
    message_id: str | None = None,
) -> Iterator[Span | None]:
    """Process one message inside its CONSUMER span (`process {queue}`), made current so that
    what the handler does (its SQL) nests under it; yield the span (None with no `provider`).

    The span is a child of the publish span the message's `traceparent` names, and links to
    it as the conventions ask of a process span. A message without one starts no trace: the
    services' sampler keeps roots only for requests, so such a span is not recorded.
    """
    if provider is None:
        yield None
        return
    producer = context_from(headers or {})
    links = [Link(get_current_span(producer).get_span_context())] if producer is not None else []
    attributes: dict[str, AttributeValue] = {
        messaging.MESSAGING_SYSTEM: RABBITMQ,
        messaging.MESSAGING_OPERATION_TYPE: messaging.MessagingOperationTypeValues.PROCESS.value,
        messaging.MESSAGING_OPERATION_NAME: "process",
        messaging.MESSAGING_DESTINATION_NAME: queue,
        messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: routing_key,
    }
    if message_id is not None:
        attributes[messaging.MESSAGING_MESSAGE_ID] = message_id
    tracer = provider.get_tracer(SCOPE)
    with tracer.start_as_current_span(
        f"process {queue}",
        context=producer,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        links=links,
    ) as span:
        yield span
