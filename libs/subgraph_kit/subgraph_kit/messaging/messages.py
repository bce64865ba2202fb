"""What an outbox event looks like on the broker: its routing key and its JSON body."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from subgraph_kit.core.events import PendingEvent

_WORD = re.compile(r"[A-Z][a-z0-9]*")


def routing_key(event_name: str, renamed: Mapping[str, str] | None = None) -> str:
    """The routing key of an event class name: its words in dotted lower case
    (`ProductCreated` is "product.created"), unless `renamed` names the key itself."""
    if renamed and event_name in renamed:
        return renamed[event_name]
    words = _WORD.findall(event_name)
    if not words or "".join(words) != event_name:
        raise ValueError(f"{event_name!r} is no CamelCase event name")
    return ".".join(word.lower() for word in words)


def message_body(event: PendingEvent) -> bytes:
    """The event as the JSON document consumers read: `{eventId, type, occurredAt, aggregateId,
    payload}`."""
    document = {
        "eventId": str(event.event_id),
        "type": event.name,
        "occurredAt": event.occurred_at.isoformat(),
        "aggregateId": event.aggregate_id,
        "payload": event.payload,
    }
    return json.dumps(document, separators=(",", ":")).encode()
