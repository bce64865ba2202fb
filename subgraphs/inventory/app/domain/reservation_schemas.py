"""Reservation commands (reserve, commit, release) and the events holds raise."""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints
from subgraph_kit.core.commands import Command, StorableText
from subgraph_kit.core.events import DomainEvent

from app.domain.schemas import MAX_DELTA, IdempotencyKey

# A reserveStock names at most this many lines, so that the catalog answers all its products
# in one page of `products(filter: {ids})`.
MAX_LINES = 100
MAX_HOLD_SECONDS = 86_400

ReservationReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), StorableText
]


class ReserveLine(Command):
    """Hold `quantity` of a product; at `location_id`, or wherever it is available if None."""

    product_id: UUID
    quantity: int = Field(ge=1, le=MAX_DELTA)
    location_id: UUID | None = None


class ReserveStock(Command):
    """Hold every line for `reference` until `expires_in_seconds` from now, all or nothing;
    holds the reference already has of these products are replaced."""

    reference: ReservationReference
    lines: tuple[ReserveLine, ...] = Field(min_length=1, max_length=MAX_LINES)
    expires_in_seconds: int = Field(default=900, ge=1, le=MAX_HOLD_SECONDS)
    idempotency_key: IdempotencyKey | None = None

    def fingerprint(self) -> str:
        """Identify what the command asks for, whatever idempotency key it carries."""
        body = self.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(f"{type(self).__name__}:{body}".encode()).hexdigest()


class CommitReservations(Command):
    """Turn every ACTIVE hold of `reference` into a sale, or none if one has expired."""

    reference: ReservationReference


class ReleaseReservations(Command):
    """Free the ACTIVE holds of `reference` (of `product_ids` only, when given)."""

    reference: ReservationReference
    product_ids: tuple[UUID, ...] | None = None


class ReservationCreated(DomainEvent):
    """A hold was placed; the payload has the hold."""


class ReservationCommitted(DomainEvent):
    """A hold became a sale (a SOLD movement)."""


class ReservationReleased(DomainEvent):
    """A hold was freed by its reference, or replaced by a new hold of the same product."""


class ReservationExpired(DomainEvent):
    """A hold passed its expiry without being committed; the sweeper marked it."""


class StockShortfall(DomainEvent):
    """A count put on hand below what is reserved at a level: some holds cannot be filled."""
