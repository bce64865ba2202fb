"""Identifier parsing shared by the GraphQL and REST edges."""

from __future__ import annotations

from uuid import UUID


def parse_uuid(value: object) -> UUID | None:
    """Return the UUID `value` spells, or None: an id that is not a UUID finds nothing."""
    try:
        return UUID(str(value))
    except ValueError:
        return None
