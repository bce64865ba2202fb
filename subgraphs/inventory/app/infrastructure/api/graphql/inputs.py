"""GraphQL input types and their translation into domain commands and filters."""

from __future__ import annotations

from uuid import UUID

import strawberry
from subgraph_kit.core.ids import parse_uuid

from app.domain import models
from app.domain.schemas import AdjustStock, SetStock
from app.infrastructure.api.graphql.types import StockChangeReason


@strawberry.input(description="Add delta (negative to remove) to on hand; never below zero.")
class AdjustStockInput:
    product_id: strawberry.ID
    delta: int = strawberry.field(description="Not 0; at most 1,000,000 either way.")
    reason: StockChangeReason  # type: ignore[valid-type]
    reference: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Replays with the same key and input return the first result."
    )

    def to_command(self, product_id: UUID) -> AdjustStock:
        return AdjustStock.model_validate(
            {
                "product_id": product_id,
                "delta": self.delta,
                "reason": self.reason,
                "reference": self.reference,
                "idempotency_key": self.idempotency_key,
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

    def to_command(self, product_id: UUID) -> SetStock:
        return SetStock.model_validate(
            {
                "product_id": product_id,
                "on_hand": self.on_hand,
                "expected_version": self.expected_version,
                "reason": self.reason,
                "reference": self.reference,
                "idempotency_key": self.idempotency_key,
            }
        )


@strawberry.input(description="All conditions must hold.")
class StockFilter:
    product_ids: list[strawberry.ID] | None = None
    low_stock: bool | None = None
    out_of_stock: bool | None = None

    def to_domain(self) -> models.StockLevelFilter:
        ids = self.product_ids
        return models.StockLevelFilter(
            product_ids=None if ids is None else tuple(filter(None, map(parse_uuid, ids))),
            low_stock=self.low_stock,
            out_of_stock=self.out_of_stock,
        )
