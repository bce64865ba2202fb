"""Identifiers as clients send them."""

from __future__ import annotations

from uuid import UUID


def parse_uuid(value: object) -> UUID | None:
    """Return the UUID `value` spells, or None: an id that is not a UUID finds nothing."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


def require_uuid(value: object, missing: Exception) -> UUID:
    """Return the UUID `value` spells, or raise `missing`: such an id names nothing."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise missing
    return parsed
