"""Stock commands (the validated inputs of every write) and the events stock changes raise."""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints, field_validator
from subgraph_kit.core.commands import Command, StorableText
from subgraph_kit.core.events import DomainEvent

from app.domain.models import MAX_ON_HAND, StockChangeReason

MAX_DELTA = 1_000_000

Reference = Annotated[str, StringConstraints(max_length=255), StorableText]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255), StorableText]


class IdempotentCommand(Command):
    """A write a client may repeat: the same key with the same input gets the first answer."""

    product_id: UUID
    idempotency_key: IdempotencyKey | None = None

    def fingerprint(self) -> str:
        """Identify what the command asks for, whatever idempotency key it carries."""
        body = self.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(f"{type(self).__name__}:{body}".encode()).hexdigest()


class AdjustStock(IdempotentCommand):
    """Add `delta` (negative to remove) to on hand."""

    delta: int = Field(ge=-MAX_DELTA, le=MAX_DELTA)
    reason: StockChangeReason
    reference: Reference | None = None

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("must not be 0")
        return delta


class SetStock(IdempotentCommand):
    """Set on hand to a counted value, only at `expected_version` when one is given."""

    on_hand: int = Field(ge=0, le=MAX_ON_HAND)
    expected_version: int | None = Field(default=None, ge=0)
    reason: StockChangeReason = StockChangeReason.CYCLE_COUNT
    reference: Reference | None = None


class SetReorderPoint(Command):
    """Set the level at or below which a product counts as low on stock."""

    product_id: UUID
    reorder_point: int = Field(ge=0, le=MAX_ON_HAND)


class StockChanged(DomainEvent):
    """On hand moved; the payload has the level after, the delta and the movement."""


class StockDepleted(DomainEvent):
    """Nothing is available any more."""


class StockReplenished(DomainEvent):
    """Something is available again after none was."""


class LowStock(DomainEvent):
    """The level fell to or below its reorder point."""
