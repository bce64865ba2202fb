"""The W3C trace context of the work being done now, as the headers that would carry it on."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# W3C trace context only: baggage is the caller's to send, not something an event keeps.
PROPAGATOR = TraceContextTextMapPropagator()


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`, if any) of the current span; empty outside a span.

    With tracing off no span is ever current, so this is one context lookup and no more.
    """
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier


def context_from(headers: Mapping[str, object]) -> Context | None:
    """The remote span context that `headers` carry (W3C trace context), or None."""
    carrier = {key.lower(): _text(value) for key, value in headers.items()}
    if "traceparent" not in carrier:
        return None
    context = PROPAGATOR.extract(carrier)
    return context if context else None


def _text(value: object) -> str:
    # AMQP headers may come back as bytes (long strings), whatever was published.
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
