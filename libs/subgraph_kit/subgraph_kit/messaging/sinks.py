"""The event sink a service's settings choose: RabbitMQ with BROKER_URL, else the log."""

from __future__ import annotations

from collections.abc import Mapping

from subgraph_kit.core.outbox import EventSink, LogEventSink
from subgraph_kit.messaging.rabbit import RabbitEventSink
from subgraph_kit.settings import ServiceSettings


def event_sink(
    settings: ServiceSettings, *, exchange: str, renamed: Mapping[str, str] | None = None
) -> EventSink:
    """Publish to `exchange` (after BROKER_EXCHANGE_PREFIX) when BROKER_URL is set; else log."""
    if settings.broker_url is None:
        return LogEventSink()
    return RabbitEventSink(
        url=settings.broker_url,
        exchange=settings.broker_exchange_prefix + exchange,
        renamed=renamed,
    )
