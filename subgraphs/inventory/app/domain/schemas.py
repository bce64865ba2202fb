"""Stock and location commands (the validated inputs of every write), the sign each reason
gives a change, and the events writes raise."""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from pydantic import BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator
from subgraph_kit.core.commands import Command, StorableText
from subgraph_kit.core.events import DomainEvent

from app.domain.models import DEFAULT_LOCATION_ID, MAX_ON_HAND, StockChangeReason

MAX_DELTA = 1_000_000

Reference = Annotated[str, StringConstraints(max_length=255), StorableText]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255), StorableText]
LocationCode = Annotated[
    str,
    BeforeValidator(lambda code: code.strip().upper() if isinstance(code, str) else code),
    StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$"),
]
LocationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]

# Which way each reason moves on hand: +1 adds, -1 removes, 0 either way. Transfers write
# TRANSFER_IN and TRANSFER_OUT themselves; no client request may name them.
REASON_SIGNS = {
    StockChangeReason.RECEIVED: 1,
    StockChangeReason.RETURNED: 1,
    StockChangeReason.SOLD: -1,
    StockChangeReason.DAMAGED: -1,
    StockChangeReason.SHRINKAGE: -1,
    StockChangeReason.CORRECTION: 0,
    StockChangeReason.CYCLE_COUNT: 0,
    StockChangeReason.OTHER: 0,
}


def against_its_reason(delta: int, reason: StockChangeReason) -> str | None:
    """Say why a change of `delta` cannot carry `reason`, or None if it can."""
    sign = REASON_SIGNS.get(reason)
    if sign is None:
        return f"{reason.value} is written by transfers only"
    if sign * delta < 0:
        return f"{reason.value} {'adds' if sign > 0 else 'removes'} stock; this change does not"
    return None


class IdempotentCommand(Command):
    """A write a client may repeat: the same key with the same input gets the first answer."""

    product_id: UUID
    idempotency_key: IdempotencyKey | None = None

    def fingerprint(self) -> str:
        """Identify what the command asks for, whatever idempotency key it carries."""
        # A request at DEFAULT keeps the fingerprint it had before locations existed, so a
        # key stored then still replays.
        exclude = {"idempotency_key"}
        if getattr(self, "location_id", None) == DEFAULT_LOCATION_ID:
            exclude.add("location_id")
        body = self.model_dump_json(exclude=exclude)
        return hashlib.sha256(f"{type(self).__name__}:{body}".encode()).hexdigest()


class AdjustStock(IdempotentCommand):
    """Add `delta` (negative to remove) to on hand at a location, in the direction its reason
    allows."""

    delta: int = Field(ge=-MAX_DELTA, le=MAX_DELTA)
    reason: StockChangeReason
    reference: Reference | None = None
    location_id: UUID = DEFAULT_LOCATION_ID

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("must not be 0")
        return delta

    @field_validator("reason")
    @classmethod
    def _follows_the_delta(
        cls, reason: StockChangeReason, info: ValidationInfo
    ) -> StockChangeReason:
        # `delta` is validated first; when it was refused there is no direction to check.
        if (why := against_its_reason(info.data.get("delta", 0), reason)) is not None:
            raise ValueError(why)
        return reason


class SetStock(IdempotentCommand):
    """Set on hand at a location to a counted value, only at `expected_version` when one is
    given (its reason's direction is checked against the level it finds)."""

    on_hand: int = Field(ge=0, le=MAX_ON_HAND)
    expected_version: int | None = Field(default=None, ge=0)
    reason: StockChangeReason = StockChangeReason.CYCLE_COUNT
    reference: Reference | None = None
    location_id: UUID = DEFAULT_LOCATION_ID

    @field_validator("reason")
    @classmethod
    def _not_a_transfer(cls, reason: StockChangeReason) -> StockChangeReason:
        # Its direction is checked against the level the count finds (`rules.counted_delta`).
        if reason not in REASON_SIGNS:
            raise ValueError(f"{reason.value} is written by transfers only")
        return reason


class SetReorderPoint(Command):
    """Set the level at or below which a product counts as low on stock at a location."""

    product_id: UUID
    reorder_point: int = Field(ge=0, le=MAX_ON_HAND)
    location_id: UUID = DEFAULT_LOCATION_ID


class TransferStock(IdempotentCommand):
    """Move `quantity` of a product from one location to another, all of it or none."""

    from_location_id: UUID
    to_location_id: UUID
    quantity: int = Field(ge=1, le=MAX_DELTA)
    reference: Reference | None = None

    @field_validator("to_location_id")
    @classmethod
    def _another_location(cls, to_location_id: UUID, info: ValidationInfo) -> UUID:
        if to_location_id == info.data.get("from_location_id"):
            raise ValueError("must be another location than fromLocationId")
        return to_location_id


class CreateLocation(Command):
    """Open a location; its code is upper-cased and must be unique."""

    code: LocationCode
    name: LocationName


class DeactivateLocation(Command):
    """Close a location that holds no stock."""

    location_id: UUID


class StockChanged(DomainEvent):
    """On hand moved; the payload has the level after, the delta and the movement."""


class StockDepleted(DomainEvent):
    """Nothing is available any more."""


class StockReplenished(DomainEvent):
    """Something is available again after none was."""


class LowStock(DomainEvent):
    """The level fell to or below its reorder point."""


class StockTransferred(DomainEvent):
    """Stock moved between locations; the payload has both levels after and the quantity."""


class LocationCreated(DomainEvent):
    """A location was opened."""


class LocationDeactivated(DomainEvent):
    """A location was closed; it takes no stock any more."""
