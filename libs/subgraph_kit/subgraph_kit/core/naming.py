"""Field names as clients see them."""

from __future__ import annotations


def camel(name: str) -> str:
    """Spell a Python attribute name (`on_hand`) the way the API does (`onHand`)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
