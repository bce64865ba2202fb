"""Inventory reads: levels, a product's stock over its locations, movements and locations.

Same shape as the writes, `read(request, *, uow)`, one query each whatever the number asked.
Reads never call the products subgraph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from subgraph_kit.core.pages import in_order_asked, page_of

from app.domain.models import (
    DEFAULT_LOCATION_ID,
    LevelKey,
    Location,
    LocationPage,
    MovementPage,
    ProductStock,
    StockLevel,
    StockLevelFilter,
    StockLevelPage,
    StockMovement,
)
from app.domain.repositories import UnitOfWork


def get_stock_levels(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[StockLevel]:
    """Return each product's stock at DEFAULT in the order asked, zeros where never stocked
    there (one query)."""
    found = find_stock_levels(product_ids, uow=uow)
    return [
        level or StockLevel.untracked(product_id)
        for product_id, level in zip(product_ids, found, strict=True)
    ]


def find_stock_levels(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[StockLevel | None]:
    """Return each product's level at DEFAULT in the order asked, None where never stocked
    there (one query)."""
    with uow:
        found = uow.stock.get_many(product_ids, DEFAULT_LOCATION_ID)
    return in_order_asked(product_ids, found, key=lambda level: level.product_id)


def get_product_stock(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[ProductStock]:
    """Return, in the order asked, each product's level at DEFAULT and its tracked levels at
    active locations, ordered by location id (one query)."""
    with uow:
        found = uow.stock.of_products(product_ids)
    defaults: dict[UUID, StockLevel] = {}
    active: dict[UUID, list[StockLevel]] = defaultdict(list)
    for level, location_active in sorted(found, key=lambda pair: pair[0].location_id):
        if level.location_id == DEFAULT_LOCATION_ID:
            defaults[level.product_id] = level
        if location_active:
            active[level.product_id].append(level)
    return [
        ProductStock(
            default=defaults.get(product_id) or StockLevel.untracked(product_id),
            levels=tuple(active[product_id]),
        )
        for product_id in product_ids
    ]


def list_stock_levels(page: StockLevelPage, *, uow: UnitOfWork) -> tuple[list[StockLevel], bool]:
    """Return one page of tracked levels and whether another page follows."""
    with uow:
        rows = uow.stock.list(filter=page.filter, limit=page.first + 1, after=page.after)
    return page_of(rows, page.first)


def count_stock_levels(filter: StockLevelFilter, *, uow: UnitOfWork) -> int:
    """Return how many tracked levels match `filter`."""
    with uow:
        return uow.stock.count(filter=filter)


def list_movements(
    page: MovementPage, *, uow: UnitOfWork
) -> dict[LevelKey, tuple[list[StockMovement], bool]]:
    """Return, per level, one page of movements newest first and whether more follow."""
    with uow:
        found = uow.movements.list_for(page.levels, limit=page.first + 1, before=page.before)
    return {level: page_of(rows, page.first) for level, rows in found.items()}


def count_movements(level: LevelKey, *, uow: UnitOfWork) -> int:
    """Return how many movements a level has."""
    with uow:
        return uow.movements.count_for(level)


def find_locations(location_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[Location | None]:
    """Return each location in the order asked, None where there is none (one query)."""
    with uow:
        found = uow.locations.get_many(location_ids)
    return in_order_asked(location_ids, found, key=lambda location: location.id)


def find_locations_by_code(codes: Sequence[str], *, uow: UnitOfWork) -> list[Location | None]:
    """Return the location of each code (compared upper-cased) in the order asked (one query)."""
    wanted = [code.strip().upper() for code in codes]
    with uow:
        found = uow.locations.get_by_codes(wanted)
    return in_order_asked(wanted, found, key=lambda location: location.code)


def list_locations(page: LocationPage, *, uow: UnitOfWork) -> tuple[list[Location], bool]:
    """Return one page of locations ordered by code and whether another page follows."""
    with uow:
        rows = uow.locations.list(page, limit=page.first + 1)
    return page_of(rows, page.first)


def count_locations(include_inactive: bool, *, uow: UnitOfWork) -> int:
    """Return how many locations a `locations` list has in all its pages."""
    with uow:
        return uow.locations.count(include_inactive=include_inactive)
