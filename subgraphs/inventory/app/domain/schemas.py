"""Validated stock commands, and the events stock changes raise."""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from subgraph_kit.outbox import DomainEvent

from app.domain.models import MAX_ON_HAND, StockChangeReason

MAX_DELTA = 1_000_000


def no_nul(text: str) -> str:
    """Refuse NUL characters, which PostgreSQL cannot store in text."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Reference = Annotated[str, StringConstraints(max_length=255), AfterValidator(no_nul)]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(no_nul)
]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def fingerprint(self) -> str:
        """Identify what the command asks for, whatever idempotency key it carries."""
        body = self.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(f"{type(self).__name__}:{body}".encode()).hexdigest()


class AdjustStock(Command):
    product_id: UUID
    delta: int = Field(ge=-MAX_DELTA, le=MAX_DELTA)
    reason: StockChangeReason
    reference: Reference | None = None
    idempotency_key: IdempotencyKey | None = None

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("must not be 0")
        return delta


class SetStock(Command):
    product_id: UUID
    on_hand: int = Field(ge=0, le=MAX_ON_HAND)
    expected_version: int | None = Field(default=None, ge=0)
    reason: StockChangeReason = StockChangeReason.CYCLE_COUNT
    reference: Reference | None = None
    idempotency_key: IdempotencyKey | None = None


class SetReorderPoint(Command):
    product_id: UUID
    reorder_point: int = Field(ge=0, le=MAX_ON_HAND)


class StockChanged(DomainEvent):
    name = "StockChanged"


class StockDepleted(DomainEvent):
    name = "StockDepleted"


class StockReplenished(DomainEvent):
    name = "StockReplenished"


class LowStock(DomainEvent):
    name = "LowStock"
