"""Reservation rules: which lines can be held and where, when a commit is refused, and the
events holds raise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from subgraph_kit.core.events import DomainEvent

from app.domain.catalog_rules import product_gone
from app.domain.errors import (
    InsufficientStock,
    LocationInactive,
    LocationNotFound,
    ProductNotActive,
    ReservationExpired,
)
from app.domain.models import (
    CatalogProduct,
    LevelKey,
    Location,
    ProductStatus,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from app.domain.reservation_schemas import (
    ReservationCommitted,
    ReservationCreated,
    ReservationReleased,
    ReserveStock,
    StockShortfall,
)
from app.domain.reservation_schemas import ReservationExpired as ReservationExpiredEvent
from app.domain.use_cases import level_payload


def line_field(index: int, name: str) -> tuple[str, ...]:
    """Where a userError about one line points: `lines.<index>.<name>`."""
    return ("lines", str(index), name)


def check_reservable(command: ReserveStock, products: Mapping[UUID, CatalogProduct]) -> None:
    """Refuse a line whose product the catalog does not know or that is not ACTIVE."""
    for index, line in enumerate(command.lines):
        product = products.get(line.product_id)
        if product is None:
            raise product_gone(field=line_field(index, "productId"))
        if product.status is not ProductStatus.ACTIVE:
            raise ProductNotActive(
                f"The product is {product.status.value}: only ACTIVE products can be reserved.",
                field=line_field(index, "productId"),
            )


def check_locations(command: ReserveStock, locations: Mapping[UUID, Location]) -> None:
    """Refuse a line at a location that does not exist or was deactivated."""
    for index, line in enumerate(command.lines):
        if line.location_id is None:
            continue
        location = locations.get(line.location_id)
        if location is None:
            field = line_field(index, "locationId")
            raise LocationNotFound("No location has this id.", field=field)
        if not location.active:
            raise LocationInactive(
                f"Location {location.code} is inactive.", field=line_field(index, "locationId")
            )


@dataclass(frozen=True, slots=True)
class PlannedHold:
    product_id: UUID
    location_id: UUID
    quantity: int


def plan_holds(
    command: ReserveStock,
    levels: Sequence[tuple[StockLevel, bool]],
    own: Sequence[Reservation],
) -> list[PlannedHold]:
    """Decide where each line is held, all lines or none.

    `levels` are the products' levels with whether their location is active, `own` the
    reference's counting holds of these products, which the new ones replace (so they are free
    for it). Lines of one product and location are summed first; lines that name a location
    are placed before the ones that do not, which take the most available active locations
    first, split over several when no one covers them.
    """
    mine: dict[LevelKey, int] = defaultdict(int)
    for hold in own:
        mine[hold.product_id, hold.location_id] += hold.quantity
    free: dict[LevelKey, int] = {
        (level.product_id, level.location_id): max(
            level.on_hand - level.reserved + mine[level.product_id, level.location_id], 0
        )
        for level, active in levels
        if active
    }
    wanted: dict[tuple[UUID, UUID | None], list[int]] = {}  # key -> [quantity, last line index]
    for index, line in enumerate(command.lines):
        entry = wanted.setdefault((line.product_id, line.location_id), [0, index])
        entry[0] += line.quantity
        entry[1] = index
    held: dict[LevelKey, int] = defaultdict(int)
    placed_first = sorted(wanted.items(), key=lambda item: item[0][1] is None)
    for (product_id, location_id), (quantity, index) in placed_first:
        if location_id is not None:
            places = [(product_id, location_id)]
        else:
            places = sorted(
                (key for key in free if key[0] == product_id),
                key=lambda key: (-free[key], key[1]),
            )
        if sum(free.get(key, 0) for key in places) < quantity:
            raise InsufficientStock(
                f"Only {sum(free.get(key, 0) for key in places)} available; cannot reserve "
                f"{quantity}.",
                field=line_field(index, "quantity"),
            )
        for key in places:
            take = min(quantity, free.get(key, 0))
            if take:
                free[key] -= take
                held[key] += take
                quantity -= take
    return [PlannedHold(p, loc, q) for (p, loc), q in sorted(held.items())]


def new_holds(
    planned: Sequence[PlannedHold], command: ReserveStock, *, now: datetime
) -> list[Reservation]:
    """The ACTIVE holds of a reservation, expiring `expires_in_seconds` from now."""
    expires_at = now + timedelta(seconds=command.expires_in_seconds)
    return [
        Reservation(
            uuid4(),
            command.reference,
            hold.product_id,
            hold.location_id,
            hold.quantity,
            ReservationStatus.ACTIVE,
            expires_at,
            now,
        )
        for hold in planned
    ]


def check_committable(
    holds: Sequence[Reservation], earlier: Sequence[Reservation], *, now: datetime
) -> None:
    """Refuse a commit when one of its holds (the ACTIVE ones it took) has expired, or when
    a product the reference held lapsed (its hold was swept EXPIRED and nothing holds it
    now)."""
    expired = [hold for hold in holds if hold.expires_at <= now]
    covered = {hold.product_id for hold in holds} | {
        hold.product_id for hold in earlier if hold.status is ReservationStatus.COMMITTED
    }
    lapsed = [
        hold
        for hold in earlier
        if hold.status is ReservationStatus.EXPIRED and hold.product_id not in covered
    ]
    if expired or lapsed:
        raise ReservationExpired(
            "A hold of this reference expired; nothing was committed. Reserve again.",
            field=("reference",),
        )


def reservation_payload(hold: Reservation) -> dict[str, object]:
    """Describe a hold in an event."""
    return {
        "reservationId": str(hold.id),
        "reference": hold.reference,
        "productId": str(hold.product_id),
        "locationId": str(hold.location_id),
        "quantity": hold.quantity,
        "expiresAt": hold.expires_at.isoformat(),
    }


def hold_events(
    kind: type[DomainEvent], holds: Sequence[Reservation], *, now: datetime
) -> list[DomainEvent]:
    """One event of `kind` per hold."""
    return [kind(hold.product_id, now, reservation_payload(hold)) for hold in holds]


def created(holds: Sequence[Reservation], *, now: datetime) -> list[DomainEvent]:
    return hold_events(ReservationCreated, holds, now=now)


def committed(holds: Sequence[Reservation], *, now: datetime) -> list[DomainEvent]:
    return hold_events(ReservationCommitted, holds, now=now)


def released(holds: Sequence[Reservation], *, now: datetime) -> list[DomainEvent]:
    return hold_events(ReservationReleased, holds, now=now)


def expired(holds: Sequence[Reservation], *, now: datetime) -> list[DomainEvent]:
    return hold_events(ReservationExpiredEvent, holds, now=now)


def shortfall(level: StockLevel, *, now: datetime) -> list[DomainEvent]:
    """StockShortfall when on hand is below what is reserved at the level."""
    if level.on_hand >= level.reserved:
        return []
    payload = level_payload(level) | {
        "reserved": level.reserved,
        "shortfall": level.reserved - level.on_hand,
    }
    return [StockShortfall(level.product_id, now, payload)]
