"""Abstract persistence interfaces, and the ProductCatalog port to the products subgraph."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from subgraph_kit.core.unit_of_work import UnitOfWork as BaseUnitOfWork

from app.domain.catalog_rules import CatalogEntry
from app.domain.models import (
    CatalogProduct,
    LevelKey,
    Location,
    LocationPage,
    Reservation,
    ReservationStatus,
    StockChange,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)


class StockRepository(abc.ABC):
    """Stock levels, one per (product, location). Each write starts tracking the product at
    the location (at zero) if it is not tracked there yet, and returns a `StockChange`: the
    level as the write found it and as it left it. A write that changes nothing leaves the
    level as it found it: no version bump, and a level it found untracked stays untracked
    (`before == after`)."""

    @abc.abstractmethod
    def get(self, product_id: UUID, location_id: UUID) -> StockLevel | None:
        """Return the tracked level of a product at a location, or None."""

    @abc.abstractmethod
    def get_many(self, product_ids: Sequence[UUID], location_id: UUID) -> list[StockLevel]:
        """Return the tracked levels among `product_ids` at one location, in any order (one
        query)."""

    @abc.abstractmethod
    def of_products(self, product_ids: Sequence[UUID]) -> list[tuple[StockLevel, bool]]:
        """Return every tracked level of `product_ids`, each with whether its location is
        active, in any order (one query)."""

    @abc.abstractmethod
    def list(
        self, *, filter: StockLevelFilter, limit: int, after: LevelKey | None
    ) -> list[StockLevel]:
        """Return up to `limit` tracked levels matching `filter`, ordered by product id, then
        location id."""

    @abc.abstractmethod
    def count(self, *, filter: StockLevelFilter) -> int:
        """Return how many tracked levels match `filter`."""

    @abc.abstractmethod
    def holds_stock(self, location_id: UUID) -> bool:
        """Tell whether any level at the location has something on hand or reserved."""

    @abc.abstractmethod
    def lock_products(self, product_ids: Sequence[UUID]) -> None:
        """Lock every level of these products until the transaction ends, in (product id,
        location id) order; what is read next sees every hold committed before."""

    @abc.abstractmethod
    def lock(self, product_id: UUID, location_id: UUID, *, now: datetime) -> StockChange:
        """Lock the level until the transaction ends; `after` is it as locked, and current."""

    @abc.abstractmethod
    def release(self, locked: StockChange) -> StockChange:
        """End a write that changes nothing after `lock`: leave the level as `lock` found it."""

    @abc.abstractmethod
    def add_to_on_hand(
        self,
        product_id: UUID,
        location_id: UUID,
        delta: int,
        *,
        now: datetime,
        keep_reserved: bool = True,
    ) -> StockChange | None:
        """Atomically add `delta`; None (and no change) when the result would leave 0..MAX,
        or, with `keep_reserved`, when a removal would take on hand below what is reserved."""

    @abc.abstractmethod
    def set_on_hand(
        self, locked: StockChange, on_hand: int, *, now: datetime
    ) -> StockChange | None:
        """Set on hand of a level `lock` returned; None (no change) if it left that version."""

    @abc.abstractmethod
    def set_reorder_point(
        self, product_id: UUID, location_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockChange:
        """Set the reorder point; a level that already has it is left as found."""

    @abc.abstractmethod
    def retire(self, product_ids: Sequence[UUID], *, now: datetime) -> int:
        """Retire every level of these products (the catalog deleted them): reads no longer
        see them; return how many were retired now."""


class LocationRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, location: Location) -> bool:
        """Stage a new location; False (nothing added) when its code is taken."""

    @abc.abstractmethod
    def get_many(self, location_ids: Sequence[UUID]) -> list[Location]:
        """Return the locations among `location_ids`, in any order (one query)."""

    @abc.abstractmethod
    def get_by_codes(self, codes: Sequence[str]) -> list[Location]:
        """Return the locations among `codes`, in any order (one query)."""

    @abc.abstractmethod
    def list(self, page: LocationPage, *, limit: int) -> list[Location]:
        """Return up to `limit` locations of `page`, ordered by code."""

    @abc.abstractmethod
    def count(self, *, include_inactive: bool) -> int:
        """Return how many locations there are (active only, unless `include_inactive`)."""

    @abc.abstractmethod
    def hold_many(self, location_ids: Sequence[UUID], *, all_active: bool) -> list[Location]:
        """Hold (as `hold` does) the locations among `location_ids`, and every active one if
        `all_active`; return them (one statement)."""

    @abc.abstractmethod
    def hold(self, location_id: UUID) -> Location | None:
        """Return the location, and keep it from being deactivated until the transaction
        ends (stock writes call it first)."""

    @abc.abstractmethod
    def deactivate(self, location_id: UUID) -> Location | None:
        """Mark an active location inactive, waiting for the writes that hold it; None when
        it is not there or not active."""


class MovementRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, movement: StockMovement) -> None:
        """Stage a movement."""

    @abc.abstractmethod
    def list_for(
        self, levels: Sequence[LevelKey], *, limit: int, before: int | None
    ) -> dict[LevelKey, list[StockMovement]]:
        """Return, per level, up to `limit` movements newest first, older than `before`."""

    @abc.abstractmethod
    def count_for(self, level: LevelKey) -> int:
        """Return how many movements one level has."""


class ReservationRepository(abc.ABC):
    """Holds. Each status change is one guarded UPDATE from ACTIVE, so a hold is committed,
    released or expired once."""

    @abc.abstractmethod
    def add(self, holds: Sequence[Reservation]) -> None:
        """Stage new holds (one statement)."""

    @abc.abstractmethod
    def counting(
        self, reference: str, product_ids: Sequence[UUID], *, now: datetime
    ) -> list[Reservation]:
        """Return the reference's ACTIVE, unexpired holds of these products."""

    @abc.abstractmethod
    def of_reference(
        self, reference: str, statuses: Sequence[ReservationStatus] | None = None
    ) -> list[Reservation]:
        """Return the reference's holds as stored (of `statuses`, if given), oldest first."""

    @abc.abstractmethod
    def get_many(self, reservation_ids: Sequence[UUID]) -> list[Reservation]:
        """Return the holds among `reservation_ids`, in any order (one query)."""

    @abc.abstractmethod
    def count_active(self, *, now: datetime) -> int:
        """Return how many holds are ACTIVE and unexpired at `now`."""

    @abc.abstractmethod
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
        """Move the ACTIVE holds that match every given condition to `status` and return
        them as they were (one statement)."""


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What an idempotency key recorded: the command's fingerprint and the levels it answered
    (one for a write at one location, source then destination for a transfer), or the holds
    a reservation placed."""

    fingerprint: str
    levels: tuple[StockLevel, ...]
    reservation_ids: tuple[UUID, ...] = ()


class IdempotencyStore(abc.ABC):
    @abc.abstractmethod
    def get(self, key: str) -> StoredResult | None:
        """Return what `key` recorded, or None."""

    @abc.abstractmethod
    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        """Take `key` for this transaction; False when another (committed) one holds it."""

    @abc.abstractmethod
    def complete(self, key: str, levels: Sequence[StockLevel]) -> None:
        """Record the levels the command that claimed `key` answered with."""

    @abc.abstractmethod
    def complete_reservation(self, key: str, reservation_ids: Sequence[UUID]) -> None:
        """Record the holds the reservation that claimed `key` placed."""

    @abc.abstractmethod
    def purge(self, *, older_than: datetime) -> int:
        """Forget keys claimed before `older_than`; return how many."""


class InboxRepository(abc.ABC):
    """The ids of the messages inventory has applied, so that each is applied once."""

    @abc.abstractmethod
    def claim(self, event_id: UUID, *, name: str, now: datetime) -> bool:
        """Record the message for this transaction; False when it was applied already (a
        concurrent delivery of it waits for the first to end, then finds it)."""

    @abc.abstractmethod
    def purge(self, *, older_than: datetime) -> int:
        """Forget the messages received before `older_than`; return how many."""


class CatalogEntryRepository(abc.ABC):
    """What inventory heard from the catalog, one entry per product."""

    @abc.abstractmethod
    def get(self, product_id: UUID) -> CatalogEntry | None:
        """Return the product's entry, or None if the catalog never told anything of it."""

    @abc.abstractmethod
    def save(self, entry: CatalogEntry) -> None:
        """Stage the product's entry, replacing the one it had."""


class UnitOfWork(BaseUnitOfWork):
    """One transaction over locations, levels, movements, holds, idempotency keys, the
    catalog's news and its inbox, and the outbox."""

    locations: LocationRepository
    stock: StockRepository
    movements: MovementRepository
    reservations: ReservationRepository
    idempotency: IdempotencyStore
    inbox: InboxRepository
    catalog_entries: CatalogEntryRepository


class ProductCatalog(abc.ABC):
    """The products subgraph, as inventory's use cases need it."""

    @abc.abstractmethod
    def get(self, product_id: UUID) -> CatalogProduct | None:
        """Return the product, or None if products says it does not exist.

        Raise `ProductsUnavailable` when products cannot answer (down, slow, error, refused key).
        Blocks until products answers: call it with no transaction open.
        """

    @abc.abstractmethod
    def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogProduct]:
        """Return the products among `product_ids` that exist, in one request to products.

        Raises and blocks as `get` does.
        """
