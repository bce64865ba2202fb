"""In-memory fakes of the repository interfaces and of the products catalog, with real commit
and rollback (the unit of work works on a copy of the committed state)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from subgraph_kit.messaging.asyncapi import check_message
from subgraph_kit_testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork

from app.application.use_cases import adjust_stock
from app.domain.catalog_rules import CatalogEntry
from app.domain.errors import ProductsUnavailable
from app.domain.models import (
    DEFAULT_LOCATION_CODE,
    DEFAULT_LOCATION_ID,
    MAX_ON_HAND,
    CatalogProduct,
    LevelKey,
    Location,
    LocationPage,
    ProductStatus,
    Reservation,
    ReservationStatus,
    StockChange,
    StockChangeReason,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)
from app.domain.repositories import (
    CatalogEntryRepository,
    IdempotencyStore,
    InboxRepository,
    LocationRepository,
    MovementRepository,
    ReservationRepository,
    StockRepository,
    StoredResult,
    UnitOfWork,
)
from app.domain.schemas import AdjustStock
from app.infrastructure.asyncapi import MESSAGES
from app.infrastructure.products_client import CatalogClient


class FakeCatalog(CatalogClient):
    """Knows the products added to it; `down=True` makes every call fail.

    `asked_in_transaction` records, per call, whether `watching` (a unit of work) was open.
    """

    def __init__(self, *product_ids: UUID, down: bool = False) -> None:
        self.products = {pid: self._product(pid) for pid in product_ids}
        self.down = down
        self.calls = 0
        self.watching: FakeUnitOfWork | None = None
        self.asked_in_transaction: list[bool] = []

    @staticmethod
    def _product(product_id: UUID, status: ProductStatus = ProductStatus.ACTIVE) -> CatalogProduct:
        return CatalogProduct(product_id, f"SKU-{product_id.hex[:6]}", "Widget", status)

    def add(self, product_id: UUID, status: ProductStatus = ProductStatus.ACTIVE) -> UUID:
        self.products[product_id] = self._product(product_id, status)
        return product_id

    def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogProduct]:
        self.calls += 1
        if self.watching is not None:
            self.asked_in_transaction.append(self.watching.is_open)
        if self.down:
            raise ProductsUnavailable("products is down", field=("productId",))
        return {pid: self.products[pid] for pid in product_ids if pid in self.products}

    def get(self, product_id: UUID) -> CatalogProduct | None:
        self.calls += 1
        if self.watching is not None:
            self.asked_in_transaction.append(self.watching.is_open)
        if self.down:
            raise ProductsUnavailable("products is down", field=("productId",))
        return self.products.get(product_id)

    async def ping(self) -> bool:
        return not self.down


class FakeStockRepository(StockRepository):
    """Levels by (product id, location id); `locations` to tell which are active, `holds` and
    `clock` to tell what is reserved (levels are stored without it, and read with it);
    `retired`, the products whose levels reads leave out."""

    def __init__(
        self,
        levels: dict[LevelKey, StockLevel],
        locations: dict[UUID, Location],
        holds: dict[UUID, Reservation],
        clock: Callable[[], datetime],
        retired: set[UUID],
    ) -> None:
        self.levels = levels
        self.locations = locations
        self.holds = holds
        self.clock = clock
        self.retired = retired

    def retire(self, product_ids: Sequence[UUID], *, now: datetime) -> int:
        fresh = set(product_ids) - self.retired
        self.retired |= fresh
        return sum(1 for product_id, _ in self.levels if product_id in fresh)

    def get(self, product_id: UUID, location_id: UUID) -> StockLevel | None:
        level = self.levels.get((product_id, location_id))
        return None if level is None else self._read(level)

    def get_many(self, product_ids: Sequence[UUID], location_id: UUID) -> list[StockLevel]:
        keys = {(p, location_id) for p in product_ids if p not in self.retired}
        return [self._read(self.levels[key]) for key in keys if key in self.levels]

    def of_products(self, product_ids: Sequence[UUID]) -> list[tuple[StockLevel, bool]]:
        return [
            (self._read(level), self.locations[level.location_id].active)
            for (product_id, _), level in self.levels.items()
            if product_id in product_ids and product_id not in self.retired
        ]

    def list(
        self, *, filter: StockLevelFilter, limit: int, after: LevelKey | None
    ) -> list[StockLevel]:
        rows = sorted(key for key, level in self.levels.items() if self._matches(level, filter))
        found = [self._read(self.levels[key]) for key in rows if after is None or key > after]
        return found[:limit]

    def count(self, *, filter: StockLevelFilter) -> int:
        return sum(1 for lv in self.levels.values() if self._matches(lv, filter))

    def holds_stock(self, location_id: UUID) -> bool:
        return any(
            lv.on_hand > 0 or self._read(lv).reserved > 0
            for lv in self.levels.values()
            if lv.location_id == location_id and lv.product_id not in self.retired
        )

    def lock_products(self, product_ids: Sequence[UUID]) -> None:
        pass  # one fake unit of work runs at a time

    def lock(self, product_id: UUID, location_id: UUID, *, now: datetime) -> StockChange:
        before = self._track((product_id, location_id), now)
        return StockChange(before, self._read(self.levels[product_id, location_id]))

    def release(self, locked: StockChange) -> StockChange:
        return self._leave_as_found(locked.before)

    def add_to_on_hand(
        self,
        product_id: UUID,
        location_id: UUID,
        delta: int,
        *,
        now: datetime,
        keep_reserved: bool = True,
    ) -> StockChange | None:
        before = self._track((product_id, location_id), now)
        level = self._read(self.levels[product_id, location_id])
        floor = level.reserved if keep_reserved and delta < 0 else 0
        if not floor <= level.on_hand + delta <= MAX_ON_HAND:
            return None
        return StockChange(before, self._save(replace(level, on_hand=level.on_hand + delta), now))

    def set_on_hand(
        self, locked: StockChange, on_hand: int, *, now: datetime
    ) -> StockChange | None:
        level = self.levels[locked.after.product_id, locked.after.location_id]
        if level.version != locked.after.version:
            return None
        return StockChange(locked.before, self._save(replace(level, on_hand=on_hand), now))

    def _read(self, level: StockLevel) -> StockLevel:
        now = self.clock()
        reserved = sum(
            hold.quantity
            for hold in self.holds.values()
            if (hold.product_id, hold.location_id) == (level.product_id, level.location_id)
            and hold.counts_at(now)
        )
        return replace(level, reserved=reserved)

    def _matches(self, level: StockLevel, f: StockLevelFilter) -> bool:
        read = self._read(level)
        return (
            level.product_id not in self.retired
            and (f.product_ids is None or level.product_id in f.product_ids)
            and (f.location_ids is None or level.location_id in f.location_ids)
            and (f.low_stock is None or read.low_stock == f.low_stock)
            and (f.out_of_stock is None or (read.available == 0) == f.out_of_stock)
        )

    def set_reorder_point(
        self, product_id: UUID, location_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockChange:
        before = self._track((product_id, location_id), now)
        level = self.levels[product_id, location_id]
        if level.reorder_point == reorder_point:
            return self._leave_as_found(before)
        return StockChange(before, self._save(replace(level, reorder_point=reorder_point), now))

    def _track(self, key: LevelKey, now: datetime) -> StockLevel:
        """Start tracking at zero if needed; return the level as found (untracked if it was)."""
        if key in self.levels:
            return self.levels[key]
        product_id, location_id = key
        self.levels[key] = StockLevel(product_id, 0, 0, 0, now, location_id=location_id)
        return StockLevel.untracked(product_id, location_id)

    def _leave_as_found(self, found: StockLevel) -> StockChange:
        """End a write that changes nothing; untrack the level again if it was untracked."""
        if not found.tracked:
            del self.levels[found.product_id, found.location_id]
        return StockChange(found, found)

    def _save(self, level: StockLevel, now: datetime) -> StockLevel:
        saved = replace(level, version=level.version + 1, updated_at=now, reserved=0)
        self.levels[level.product_id, level.location_id] = saved
        return self._read(saved)


class FakeLocationRepository(LocationRepository):
    def __init__(self, locations: dict[UUID, Location]) -> None:
        self.locations = locations

    def add(self, location: Location) -> bool:
        if any(found.code == location.code for found in self.locations.values()):
            return False
        self.locations[location.id] = location
        return True

    def get_many(self, location_ids: Sequence[UUID]) -> list[Location]:
        return [self.locations[i] for i in set(location_ids) if i in self.locations]

    def get_by_codes(self, codes: Sequence[str]) -> list[Location]:
        return [found for found in self.locations.values() if found.code in codes]

    def list(self, page: LocationPage, *, limit: int) -> list[Location]:
        listed = sorted(self._listed(page.include_inactive), key=lambda found: found.code)
        return [found for found in listed if page.after is None or found.code > page.after][:limit]

    def count(self, *, include_inactive: bool) -> int:
        return len(self._listed(include_inactive))

    def hold(self, location_id: UUID) -> Location | None:
        return self.locations.get(location_id)

    def hold_many(self, location_ids: Sequence[UUID], *, all_active: bool) -> list[Location]:
        return [
            found
            for found in self.locations.values()
            if found.id in location_ids or (all_active and found.active)
        ]

    def deactivate(self, location_id: UUID) -> Location | None:
        found = self.locations.get(location_id)
        if found is None or not found.active:
            return None
        self.locations[location_id] = replace(found, active=False)
        return self.locations[location_id]

    def _listed(self, include_inactive: bool) -> list[Location]:
        return [found for found in self.locations.values() if include_inactive or found.active]


class FakeMovementRepository(MovementRepository):
    def __init__(self, rows: list[StockMovement]) -> None:
        self.rows = rows

    def add(self, movement: StockMovement) -> None:
        self.rows.append(replace(movement, position=len(self.rows) + 1))

    def list_for(
        self, levels: Sequence[LevelKey], *, limit: int, before: int | None
    ) -> dict[LevelKey, list[StockMovement]]:
        newest = sorted(self.rows, key=lambda m: -m.position)
        return {
            key: [
                m
                for m in newest
                if (m.product_id, m.location_id) == key and (before is None or m.position < before)
            ][:limit]
            for key in levels
        }

    def count_for(self, level: LevelKey) -> int:
        return sum(1 for m in self.rows if (m.product_id, m.location_id) == level)


class FakeReservationRepository(ReservationRepository):
    def __init__(self, holds: dict[UUID, Reservation]) -> None:
        self.holds = holds

    def add(self, holds: Sequence[Reservation]) -> None:
        self.holds.update((hold.id, hold) for hold in holds)

    def counting(
        self, reference: str, product_ids: Sequence[UUID], *, now: datetime
    ) -> list[Reservation]:
        return [
            hold
            for hold in self.holds.values()
            if hold.reference == reference
            and hold.product_id in product_ids
            and hold.counts_at(now)
        ]

    def of_reference(
        self, reference: str, statuses: Sequence[ReservationStatus] | None = None
    ) -> list[Reservation]:
        return [
            hold
            for hold in self.holds.values()
            if hold.reference == reference and (statuses is None or hold.status in statuses)
        ]

    def get_many(self, reservation_ids: Sequence[UUID]) -> list[Reservation]:
        return [self.holds[i] for i in reservation_ids if i in self.holds]

    def count_active(self, *, now: datetime) -> int:
        return sum(1 for hold in self.holds.values() if hold.counts_at(now))

    def finish(
        self,
        status: ReservationStatus,
        *,
        ids: Sequence[UUID] | None = None,
        reference: str | None = None,
        product_ids: Sequence[UUID] | None = None,
        expiring_before: datetime | None = None,
        unexpired_at: datetime | None = None,
        created_since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Reservation]:
        picked = [
            hold
            for hold in sorted(self.holds.values(), key=lambda hold: hold.expires_at)
            if hold.status is ReservationStatus.ACTIVE
            and (ids is None or hold.id in ids)
            and (reference is None or hold.reference == reference)
            and (product_ids is None or hold.product_id in product_ids)
            and (expiring_before is None or hold.expires_at <= expiring_before)
            and (unexpired_at is None or hold.expires_at > unexpired_at)
            and (created_since is None or hold.created_at >= created_since)
        ][:limit]
        for hold in picked:
            self.holds[hold.id] = replace(hold, status=status)
        return sorted(
            (self.holds[hold.id] for hold in picked),
            key=lambda hold: (hold.product_id, hold.location_id, hold.id),
        )


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, keys: dict[str, dict[str, Any]]) -> None:
        self.keys = keys

    def get(self, key: str) -> StoredResult | None:
        row = self.keys.get(key)
        if row is None:
            return None
        return StoredResult(row["fingerprint"], row["levels"] or (), row.get("holds", ()))

    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = {"fingerprint": fingerprint, "levels": None, "created_at": now}
        return True

    def complete(self, key: str, levels: Sequence[StockLevel]) -> None:
        self.keys[key]["levels"] = tuple(levels)

    def complete_reservation(self, key: str, reservation_ids: Sequence[UUID]) -> None:
        self.keys[key]["holds"] = tuple(reservation_ids)

    def purge(self, *, older_than: datetime) -> int:
        old = [k for k, row in self.keys.items() if row["created_at"] < older_than]
        for key in old:
            del self.keys[key]
        return len(old)


class FakeInboxRepository(InboxRepository):
    def __init__(self, applied: dict[UUID, datetime]) -> None:
        self.applied = applied

    def claim(self, event_id: UUID, *, name: str, now: datetime) -> bool:
        if event_id in self.applied:
            return False
        self.applied[event_id] = now
        return True

    def purge(self, *, older_than: datetime) -> int:
        old = [event_id for event_id, at in self.applied.items() if at < older_than]
        for event_id in old:
            del self.applied[event_id]
        return len(old)


class FakeCatalogEntryRepository(CatalogEntryRepository):
    def __init__(self, entries: dict[UUID, CatalogEntry]) -> None:
        self.entries = entries

    def get(self, product_id: UUID) -> CatalogEntry | None:
        return self.entries.get(product_id)

    def save(self, entry: CatalogEntry) -> None:
        self.entries[entry.product_id] = entry


DEFAULT_LOCATION = Location(
    DEFAULT_LOCATION_ID, DEFAULT_LOCATION_CODE, "Default location", True, datetime(2026, 1, 1)
)


class FakeUnitOfWork(BaseFakeUnitOfWork, UnitOfWork):
    """The inventory's state: `committed["locations"]` (DEFAULT, as the migration makes it),
    `["levels"]` (by product and location), `["movements"]`, `["keys"]`, `["holds"]` (by id),
    `["retired"]` (product ids), `["inbox"]`, `["entries"]` (the catalog's news by product)
    and the committed events; `is_open` while a `with` block runs."""

    check_event = staticmethod(functools.partial(check_message, MESSAGES))

    def __init__(self) -> None:
        locations = {DEFAULT_LOCATION_ID: DEFAULT_LOCATION}
        super().__init__(
            locations=locations,
            levels={},
            movements=[],
            keys={},
            holds={},
            retired=set(),
            inbox={},
            entries={},
        )
        self.is_open = False

    def __enter__(self) -> FakeUnitOfWork:
        super().__enter__()
        self.is_open = True
        return self

    def __exit__(self, *args: object) -> None:
        self.is_open = False
        super().__exit__(*args)

    def open_repositories(self, state: dict[str, Any]) -> None:
        self.locations = FakeLocationRepository(state["locations"])
        self.stock = FakeStockRepository(
            state["levels"],
            state["locations"],
            state["holds"],
            lambda: self.clock,
            state["retired"],
        )
        self.movements = FakeMovementRepository(state["movements"])
        self.reservations = FakeReservationRepository(state["holds"])
        self.idempotency = FakeIdempotencyStore(state["keys"])
        self.inbox = FakeInboxRepository(state["inbox"])
        self.catalog_entries = FakeCatalogEntryRepository(state["entries"])

    @property
    def movement_deltas(self) -> list[int]:
        return [m.delta for m in self.committed["movements"]]

    def level(self, product_id: UUID, location_id: UUID = DEFAULT_LOCATION_ID) -> StockLevel:
        """The committed level of a product at a location, with what is reserved there."""
        level = self.committed["levels"][product_id, location_id]
        holds = self.committed["holds"].values()
        reserved = sum(
            hold.quantity
            for hold in holds
            if (hold.product_id, hold.location_id) == (product_id, location_id)
            and hold.counts_at(self.clock)
        )
        return replace(level, reserved=reserved)


def ten_at_default(product_id: UUID, catalog: FakeCatalog) -> FakeUnitOfWork:
    """A fresh unit of work whose DEFAULT location has received 10 of the product."""
    uow = FakeUnitOfWork()
    received = AdjustStock(product_id=product_id, delta=10, reason=StockChangeReason.RECEIVED)
    adjust_stock(received, uow=uow, catalog=catalog)
    return uow
