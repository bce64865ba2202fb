"""Reservations in GraphQL: the Reservation type, reserveStock's input, and the reservation
mutations and query (merged into the schema's Mutation and Query)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info
from subgraph_kit.core.ids import parse_uuid, require_uuid

from app.application import reservations
from app.domain import models
from app.domain.errors import LocationNotFound, ProductNotFound
from app.domain.reservation_rules import line_field
from app.domain.reservation_schemas import CommitReservations, ReleaseReservations, ReserveStock
from app.infrastructure.api.graphql.locations import Location
from app.infrastructure.api.graphql.mutations import user_errors_of
from app.infrastructure.api.graphql.types import Product
from app.infrastructure.api.graphql.user_errors import UserError

ReservationStatus = strawberry.enum(models.ReservationStatus)


@strawberry.type(description="A hold of stock of one product at one location for a reference.")
class Reservation:
    id: strawberry.ID
    reference: str
    quantity: int
    status: ReservationStatus = strawberry.field(  # type: ignore[valid-type]
        description="As of now: an ACTIVE hold past expiresAt is EXPIRED, swept or not."
    )
    expires_at: datetime
    created_at: datetime
    hold: strawberry.Private[models.Reservation]

    @classmethod
    def from_domain(cls, hold: models.Reservation) -> Reservation:
        return cls(
            id=strawberry.ID(str(hold.id)),
            reference=hold.reference,
            quantity=hold.quantity,
            status=hold.status,
            expires_at=hold.expires_at,
            created_at=hold.created_at,
            hold=hold,
        )

    @strawberry.field(description="The product held; null once the catalog has deleted it.")
    def product(self, info: Info) -> Product | None:
        return Product.reference(info, strawberry.ID(str(self.hold.product_id)))

    @strawberry.field(description="Where the stock is held.")
    async def location(self, info: Info) -> Location:
        found = await info.context.loaders.location.load(str(self.hold.location_id))
        assert found is not None  # a hold's level's location is a foreign key
        return Location.from_domain(found)


@strawberry.type
class ReservationPayload:
    reservations: list[Reservation]
    user_errors: list[UserError]  # type: ignore[valid-type]


@strawberry.input(description="One product to hold.")
class ReserveLineInput:
    product_id: strawberry.ID
    quantity: int = strawberry.field(description="At least 1.")
    location_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Absent: taken from active locations, most available first, split over "
        "several when no one has enough.",
    )


@strawberry.input(description="Hold every line for a reference, all or nothing.")
class ReserveStockInput:
    reference: str = strawberry.field(description="The cart or order id; 1..255 characters.")
    lines: list[ReserveLineInput] = strawberry.field(description="1..100 lines.")
    expires_in_seconds: int = strawberry.field(default=900, description="1..86400.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Replays with the same key and input return the first result."
    )

    def to_command(self, product_ids: list[UUID], location_ids: list[UUID | None]) -> ReserveStock:
        given: dict[str, Any] = {
            "reference": self.reference,
            "lines": [
                {"product_id": product_id, "quantity": line.quantity, "location_id": location_id}
                for line, product_id, location_id in zip(
                    self.lines, product_ids, location_ids, strict=True
                )
            ],
            "expires_in_seconds": self.expires_in_seconds,
            "idempotency_key": self.idempotency_key,
        }
        return ReserveStock.model_validate(given)


def payload(holds: list[models.Reservation] | None, errors: list[Any]) -> ReservationPayload:
    return ReservationPayload(
        reservations=[Reservation.from_domain(hold) for hold in holds or []], user_errors=errors
    )


@strawberry.type
class ReservationMutation:
    @strawberry.mutation(
        description="Hold stock for a reference until it expires, all lines or none; holds "
        "the reference has of these products are replaced."
    )
    async def reserve_stock(self, info: Info, input: ReserveStockInput) -> ReservationPayload:
        async def write() -> list[models.Reservation]:
            product_ids = [_product_id(line.product_id, i) for i, line in enumerate(input.lines)]
            location_ids = [_location_id(line.location_id, i) for i, line in enumerate(input.lines)]
            command = input.to_command(product_ids, location_ids)
            return await info.context.run(
                reservations.reserve_stock, command, catalog=info.context.catalog
            )

        return payload(*await user_errors_of(write, ("input",)))

    @strawberry.mutation(
        description="Sell every ACTIVE hold of the reference; RESERVATION_EXPIRED (and "
        "nothing sold) if one has expired."
    )
    async def commit_reservations(self, info: Info, reference: str) -> ReservationPayload:
        async def write() -> list[models.Reservation]:
            command = CommitReservations(reference=reference)
            return await info.context.run(reservations.commit_reservations, command)

        return payload(*await user_errors_of(write, ()))

    @strawberry.mutation(
        description="Free the reference's ACTIVE holds (of productIds only, when given); "
        "freeing what is free is no error."
    )
    async def release_reservations(
        self, info: Info, reference: str, product_ids: list[strawberry.ID] | None = None
    ) -> ReservationPayload:
        async def write() -> list[models.Reservation]:
            ids = None if product_ids is None else tuple(filter(None, map(parse_uuid, product_ids)))
            command = ReleaseReservations(reference=reference, product_ids=ids)
            return await info.context.run(reservations.release_reservations, command)

        return payload(*await user_errors_of(write, ()))


@strawberry.type
class ReservationQuery:
    @strawberry.field(description="The reference's holds, oldest first; of `status` if given.")
    async def reservations(
        self,
        info: Info,
        reference: str,
        status: list[ReservationStatus] | None = None,  # type: ignore[valid-type]
    ) -> list[Reservation]:
        found = await info.context.run(reservations.list_reservations, reference, status)
        return [Reservation.from_domain(hold) for hold in found]


def _product_id(value: strawberry.ID, index: int) -> UUID:
    """Parse a line's product id; one that is not a UUID names no product."""
    unknown = ProductNotFound("No product has this id.", field=line_field(index, "productId"))
    return require_uuid(value, unknown)


def _location_id(value: strawberry.ID | None, index: int) -> UUID | None:
    """Parse a line's location id (absent: None, placed where stock is)."""
    if value is None:
        return None
    unknown = LocationNotFound("No location has this id.", field=line_field(index, "locationId"))
    return require_uuid(value, unknown)
