"""The audit: every stock invariant of the design checked against the database itself, with
the statements of record, so that what a bug or a hand-made UPDATE broke is found and named.

What it cannot check: a stored reserved counter (there is none: `reserved` is always summed
from the holds, see `repositories.reserved_at`), and deletions inventory has not heard of yet
(an event still on its way, or, without a broker, a product not looked up since).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select
from subgraph_kit.sql.tables import outbox_table

from app.infrastructure.db.models import (
    Base,
    LocationRow,
    ReservationRow,
    StockLevelRow,
    StockMovementRow,
)
from app.infrastructure.db.repositories import reserved_at

levels = StockLevelRow.__table__
movements = StockMovementRow.__table__
holds = ReservationRow.__table__
locations = LocationRow.__table__
outbox = outbox_table(Base.metadata)

Check = Callable[[sa.Connection, datetime], list[str]]


def _level(row: sa.Row) -> str:
    return f"level product {row.product_id} at location {row.location_id}"


def on_hand_not_negative(connection: sa.Connection, now: datetime) -> list[str]:
    """On hand is never below zero."""
    rows = connection.execute(select(levels).where(levels.c.on_hand < 0))
    return [f"{_level(row)}: on hand {row.on_hand} < 0" for row in rows]


def levels_are_the_sum_of_their_movements(connection: sa.Connection, now: datetime) -> list[str]:
    """Every level's on hand equals the sum of its movements' deltas (0 with none)."""
    moved = (
        select(
            movements.c.product_id,
            movements.c.location_id,
            func.sum(movements.c.delta).label("total"),
        )
        .group_by(movements.c.product_id, movements.c.location_id)
        .subquery()
    )
    total = func.coalesce(moved.c.total, 0)
    statement = (
        select(levels.c.product_id, levels.c.location_id, levels.c.on_hand, total.label("total"))
        .select_from(
            levels.outerjoin(
                moved,
                (moved.c.product_id == levels.c.product_id)
                & (moved.c.location_id == levels.c.location_id),
            )
        )
        .where(levels.c.on_hand != total)
    )
    return [
        f"{_level(row)}: on hand {row.on_hand} != {row.total}, the sum of its movements"
        for row in connection.execute(statement)
    ]


def reserved_within_on_hand(connection: sa.Connection, now: datetime) -> list[str]:
    """What is reserved at a level is at most its on hand, unless a count took on hand below
    it, which raised StockShortfall for the product."""
    reserved = reserved_at(now)
    statement = select(
        levels.c.product_id, levels.c.location_id, levels.c.on_hand, reserved.label("reserved")
    ).where(reserved > levels.c.on_hand)
    counted_short = {
        value
        for (value,) in connection.execute(
            select(outbox.c.aggregate_id).where(outbox.c.name == "StockShortfall").distinct()
        )
    }
    found = connection.execute(statement)
    rows = [row for row in found if str(row.product_id) not in counted_short]
    return [
        f"{_level(row)}: reserved {row.reserved} > on hand {row.on_hand}, and no count "
        "raised StockShortfall"
        for row in rows
    ]


def no_hold_on_an_inactive_location(connection: sa.Connection, now: datetime) -> list[str]:
    """No ACTIVE, unexpired hold is at a location that was deactivated."""
    statement = (
        select(holds.c.id, holds.c.reference, locations.c.code)
        .join(locations, locations.c.id == holds.c.location_id)
        .where(holds.c.status == "ACTIVE", holds.c.expires_at > now, ~locations.c.active)
    )
    return [
        f"reservation {row.id} ({row.reference}): ACTIVE at inactive location {row.code}"
        for row in connection.execute(statement)
    ]


def no_hold_on_a_deleted_product(connection: sa.Connection, now: datetime) -> list[str]:
    """No ACTIVE, unexpired hold is on a level retired because the catalog deleted its
    product (its retirement released them)."""
    statement = (
        select(holds.c.id, holds.c.reference, holds.c.product_id)
        .join(
            levels,
            (levels.c.product_id == holds.c.product_id)
            & (levels.c.location_id == holds.c.location_id),
        )
        .where(
            holds.c.status == "ACTIVE", holds.c.expires_at > now, levels.c.retired_at.is_not(None)
        )
    )
    return [
        f"reservation {row.id} ({row.reference}): ACTIVE on deleted product {row.product_id}"
        for row in connection.execute(statement)
    ]


CHECKS: tuple[Check, ...] = (
    on_hand_not_negative,
    levels_are_the_sum_of_their_movements,
    reserved_within_on_hand,
    no_hold_on_an_inactive_location,
    no_hold_on_a_deleted_product,
)


def audit(engine: sa.Engine, *, now: datetime) -> list[str]:
    """Run every check in one read-only transaction; return the violations found."""
    with engine.connect() as connection:
        return [violation for check in CHECKS for violation in check(connection, now)]
