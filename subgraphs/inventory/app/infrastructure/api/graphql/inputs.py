"""GraphQL input types and their translation into domain commands and filters."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from subgraph_kit.core.ids import parse_uuid

from app.domain import models
from app.domain.schemas import AdjustStock, CreateLocation, SetStock, TransferStock
from app.infrastructure.api.graphql.types import StockChangeReason

LOCATION_ID = strawberry.field(default=None, description="Absent: the DEFAULT location.")


def ids(values: list[strawberry.ID] | None) -> tuple[UUID, ...] | None:
    """Parse a list of ids to filter by; one that is not a UUID matches nothing."""
    return None if values is None else tuple(filter(None, map(parse_uuid, values)))


@strawberry.input(
    description="Add delta (negative to remove) to on hand; never below zero. RECEIVED and "
    "RETURNED add; SOLD, DAMAGED and SHRINKAGE remove; CORRECTION, CYCLE_COUNT and OTHER go "
    "either way; TRANSFER_IN and TRANSFER_OUT are for transfers only."
)
class AdjustStockInput:
    product_id: strawberry.ID
    delta: int = strawberry.field(description="Not 0; at most 1,000,000 either way.")
    reason: StockChangeReason  # type: ignore[valid-type]
    reference: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Replays with the same key and input return the first result."
    )
    location_id: strawberry.ID | None = LOCATION_ID

    def to_command(self, product_id: UUID, location_id: UUID) -> AdjustStock:
        return AdjustStock.model_validate(
            {
                "product_id": product_id,
                "delta": self.delta,
                "reason": self.reason,
                "reference": self.reference,
                "idempotency_key": self.idempotency_key,
                "location_id": location_id,
            }
        )


@strawberry.input(description="Set on hand to a counted value.")
class SetStockInput:
    product_id: strawberry.ID
    on_hand: int
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the level is at this version.",
    )
    reason: StockChangeReason = models.StockChangeReason.CYCLE_COUNT  # type: ignore[valid-type]
    reference: str | None = None
    idempotency_key: str | None = None
    location_id: strawberry.ID | None = LOCATION_ID

    def to_command(self, product_id: UUID, location_id: UUID) -> SetStock:
        return SetStock.model_validate(
            {
                "product_id": product_id,
                "on_hand": self.on_hand,
                "expected_version": self.expected_version,
                "reason": self.reason,
                "reference": self.reference,
                "idempotency_key": self.idempotency_key,
                "location_id": location_id,
            }
        )


@strawberry.input(description="Move stock between two locations: all of it, or nothing.")
class TransferStockInput:
    product_id: strawberry.ID
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    quantity: int = strawberry.field(description="At least 1, at most 1,000,000.")
    reference: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Replays with the same key and input return the first result."
    )

    def to_command(self, product_id: UUID, from_id: UUID, to_id: UUID) -> TransferStock:
        return TransferStock.model_validate(
            {
                "product_id": product_id,
                "from_location_id": from_id,
                "to_location_id": to_id,
                "quantity": self.quantity,
                "reference": self.reference,
                "idempotency_key": self.idempotency_key,
            }
        )


@strawberry.input(description="A new location.")
class CreateLocationInput:
    code: str = strawberry.field(description="Upper-cased; ^[A-Z0-9][A-Z0-9_-]{0,31}$, unique.")
    name: str = strawberry.field(description="1..200 characters, trimmed.")

    def to_command(self) -> CreateLocation:
        given: dict[str, Any] = {"code": self.code, "name": self.name}
        return CreateLocation.model_validate(given)


@strawberry.input(description="All conditions must hold.")
class StockFilter:
    product_ids: list[strawberry.ID] | None = None
    location_ids: list[strawberry.ID] | None = None
    low_stock: bool | None = None
    out_of_stock: bool | None = None

    def to_domain(self) -> models.StockLevelFilter:
        return models.StockLevelFilter(
            product_ids=ids(self.product_ids),
            location_ids=ids(self.location_ids),
            low_stock=self.low_stock,
            out_of_stock=self.out_of_stock,
        )
