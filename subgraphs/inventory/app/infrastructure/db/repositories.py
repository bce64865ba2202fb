"""The SQLAlchemy stock repository (levels), and the guarded-write helpers the other
repositories share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    ScalarSelect,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain.models import (
    MAX_ON_HAND,
    LevelKey,
    StockChange,
    StockLevel,
    StockLevelFilter,
)
from app.domain.repositories import (
    StockRepository,
)
from app.infrastructure.db.models import (
    CatalogEntryRow,
    LocationRow,
    ReservationRow,
    StockLevelRow,
)
from app.infrastructure.db.rows import (
    to_level,
)

levels = StockLevelRow.__table__
locations = LocationRow.__table__
holds = ReservationRow.__table__
entries = CatalogEntryRow.__table__
# What reads see: the levels of products the catalog has not deleted.
CURRENT = levels.c.retired_at.is_(None)

# A level's columns as a write found (and locked) them, each a scalar subquery of the CTE.
Found = dict[str, ScalarSelect[Any]]
# The moment holds are counted at: a value, or the parameter of a statement built once.
Now = datetime | BindParameter[datetime]


def insert_ignoring_conflicts(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; return whether a row was inserted.

    On Postgres a conflicting insert waits for the transaction that holds the key, so this
    is also how concurrent writers of one key are put in line. On SQLite it takes the
    database's write lock, even when it inserts nothing.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values).on_conflict_do_nothing()
    return session.execute(statement).rowcount == 1


def reserved_at(now: Now, *, returning: bool = False) -> ScalarSelect[int]:
    """What is reserved at each level as of `now`: the sum of its ACTIVE holds that have not
    expired, computed from the holds themselves (no stored counter, so a hold stops counting
    the moment it expires, whether or not the sweeper has marked it).

    `returning`: for an UPDATE's RETURNING, where SQLAlchemy writes the level's columns
    unqualified, and inside the subquery `product_id` would then name the hold's own.
    """
    level = (
        (literal_column("stock_levels.product_id"), literal_column("stock_levels.location_id"))
        if returning
        else (levels.c.product_id, levels.c.location_id)
    )
    return (
        select(func.coalesce(func.sum(holds.c.quantity), 0))
        .where(
            holds.c.product_id == level[0],
            holds.c.location_id == level[1],
            holds.c.status == "ACTIVE",
            holds.c.expires_at > now,
        )
        .correlate(levels)
        .scalar_subquery()
    )


def with_reserved(now: Now, *, returning: bool = False) -> list[Any]:
    """A level's columns and what is reserved there, to select or return."""
    return [*levels.c, reserved_at(now, returning=returning).label("reserved")]


# The levels of some products at every location, with whether the location is active: the
# read of every Product's stock fields and `_entities`, built once (`now`, `product_ids`).
OF_PRODUCTS = (
    select(
        *with_reserved(bindparam("now", type_=holds.c.expires_at.type)),
        locations.c.active.label("location_active"),
    )
    .join(locations, locations.c.id == levels.c.location_id)
    .where(
        levels.c.product_id.in_(
            bindparam("product_ids", expanding=True, type_=levels.c.product_id.type)
        ),
        CURRENT,
    )
)


def filter_conditions(filter: StockLevelFilter, *, now: datetime) -> list[ColumnElement[bool]]:
    """Turn a filter into conditions on the levels table (low and out of stock judged on
    what is available, as the levels' fields are)."""
    conditions: list[ColumnElement[bool]] = [CURRENT]
    if filter.product_ids is not None:
        conditions.append(levels.c.product_id.in_(filter.product_ids))
    if filter.location_ids is not None:
        conditions.append(levels.c.location_id.in_(filter.location_ids))
    available = levels.c.on_hand - reserved_at(now)
    if filter.low_stock is not None:
        low = available <= levels.c.reorder_point
        conditions.append(low if filter.low_stock else ~low)
    if filter.out_of_stock is not None:
        out = available <= 0
        conditions.append(out if filter.out_of_stock else ~out)
    return conditions


def at(product_id: UUID, location_id: UUID) -> list[ColumnElement[bool]]:
    """The conditions that pick one level."""
    return [levels.c.product_id == product_id, levels.c.location_id == location_id]


class SqlAlchemyStockRepository(StockRepository):
    """Every write starts by tracking the product (`_start_tracking`). On SQLite, which has no
    row locks, that INSERT takes the database's write lock until commit, so what the write
    reads next is current; on Postgres the write locks the row itself. A write that turns out
    to change nothing deletes the row it inserted (`_leave_as_found`): nobody else can have
    seen it, and a concurrent writer waiting on its key inserts its own once this commits."""

    def __init__(self, session: Session, *, clock: Callable[[], datetime]) -> None:
        self.session = session
        self.clock = clock

    def get(self, product_id: UUID, location_id: UUID) -> StockLevel | None:
        return self._one(select(*self._columns()).where(*at(product_id, location_id)))

    def get_many(self, product_ids: Sequence[UUID], location_id: UUID) -> list[StockLevel]:
        statement = select(*self._columns()).where(
            levels.c.product_id.in_(product_ids), levels.c.location_id == location_id, CURRENT
        )
        return [to_level(row) for row in self.session.execute(statement)]

    def of_products(self, product_ids: Sequence[UUID]) -> list[tuple[StockLevel, bool]]:
        asked = {"now": self.clock(), "product_ids": list(product_ids)}
        rows = self.session.execute(OF_PRODUCTS, asked)
        return [(to_level(row), row.location_active) for row in rows]

    def list(
        self, *, filter: StockLevelFilter, limit: int, after: LevelKey | None
    ) -> list[StockLevel]:
        statement = select(*self._columns()).where(*filter_conditions(filter, now=self.clock()))
        if after is not None:
            statement = statement.where(tuple_(levels.c.product_id, levels.c.location_id) > after)
        order = (levels.c.product_id, levels.c.location_id)
        rows = self.session.execute(statement.order_by(*order).limit(limit))
        return [to_level(row) for row in rows]

    def count(self, *, filter: StockLevelFilter) -> int:
        conditions = filter_conditions(filter, now=self.clock())
        statement = select(func.count()).select_from(levels).where(*conditions)
        return self.session.execute(statement).scalar_one()

    def holds_stock(self, location_id: UUID) -> bool:
        # A retired level's stock takes no writes any more: it does not keep a location open.
        stocked = levels.c.location_id == location_id, levels.c.on_hand > 0, CURRENT
        held = (
            holds.c.location_id == location_id,
            holds.c.status == "ACTIVE",
            holds.c.expires_at > self.clock(),
        )
        statement = select(exists().where(*stocked) | exists().where(*held))
        return self.session.execute(statement).scalar_one()

    def lock_products(self, product_ids: Sequence[UUID]) -> None:
        if not product_ids or self.session.get_bind().dialect.name != "postgresql":
            return  # SQLite: the write lock every writer takes first serialises them already
        statement = (
            select(levels.c.product_id)
            .where(levels.c.product_id.in_(product_ids))
            .order_by(levels.c.product_id, levels.c.location_id)
            .with_for_update()
        )
        self.session.execute(statement).all()

    def lock(self, product_id: UUID, location_id: UUID, *, now: datetime) -> StockChange:
        started = self._start_tracking(product_id, location_id, now=now)
        locked = select(*with_reserved(now)).where(*at(product_id, location_id)).with_for_update()
        level = self._one(locked)
        assert level is not None  # tracked by now
        return StockChange(
            before=StockLevel.untracked(product_id, location_id) if started else level,
            after=level,
        )

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
        # One guarded statement (see `_change`), with CHECK (on_hand >= 0) behind it.
        guard_reserved = keep_reserved and delta < 0

        def allowed(found: Found) -> list[ColumnElement[bool]]:
            result = cast(found["on_hand"], BigInteger) + delta
            floor = found["reserved"] if guard_reserved else 0
            return [result >= floor, result <= MAX_ON_HAND]

        started = self._start_tracking(product_id, location_id, now=now)
        if guard_reserved:
            # The guard reads the holds, which a reservation adds under the level's lock
            # without changing the level's row: on Postgres this statement's snapshot must
            # be taken after that lock is ours, so the lock is a statement of its own.
            self._lock_level(product_id, location_id)
        return self._change(
            (product_id, location_id),
            started,
            lambda found: {"on_hand": found["on_hand"] + delta},
            allowed,
            now=now,
        )

    def set_on_hand(
        self, locked: StockChange, on_hand: int, *, now: datetime
    ) -> StockChange | None:
        level = locked.after
        statement = (
            update(levels)
            .where(*at(level.product_id, level.location_id), levels.c.version == level.version)
            .values(on_hand=on_hand, version=levels.c.version + 1, updated_at=now)
            .returning(*with_reserved(now, returning=True))
        )
        after = self._one(statement)
        return None if after is None else StockChange(locked.before, after)

    def set_reorder_point(
        self, product_id: UUID, location_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockChange:
        started = self._start_tracking(product_id, location_id, now=now)
        change = self._change(
            (product_id, location_id),
            started,
            lambda _: {"reorder_point": reorder_point},
            lambda found: [found["reorder_point"] != reorder_point],
            now=now,
        )
        if change is not None:
            return change
        # It already has that reorder point (an untracked level has 0).
        found = (
            StockLevel.untracked(product_id, location_id)
            if started
            else self.get(product_id, location_id)
        )
        assert found is not None  # committed before this write started, so still there
        return self._leave_as_found(found)

    def retire(self, product_ids: Sequence[UUID], *, now: datetime) -> int:
        statement = (
            update(levels)
            .where(levels.c.product_id.in_(product_ids), CURRENT)
            .values(retired_at=now)
        )
        return self.session.execute(statement).rowcount

    def _start_tracking(self, product_id: UUID, location_id: UUID, *, now: datetime) -> bool:
        """Insert the level at zero unless it exists; return whether this inserted it.

        A write whose lookup found the product just before its deletion was applied starts
        the level retired, like the product's other levels."""
        deleted = entries.c.product_id == product_id, entries.c.deleted
        values = {
            "product_id": product_id,
            "location_id": location_id,
            "on_hand": 0,
            "reorder_point": 0,
            "version": 0,
            "updated_at": now,
            "retired_at": select(entries.c.as_of).where(*deleted).scalar_subquery(),
        }
        return insert_ignoring_conflicts(self.session, levels, values)

    def _leave_as_found(self, found: StockLevel) -> StockChange:
        """End a write that changes nothing; untrack the product again if it was untracked."""
        if not found.tracked:
            self.session.execute(delete(levels).where(*at(found.product_id, found.location_id)))
        return StockChange(found, found)

    def _change(
        self,
        key: LevelKey,
        started: bool,
        changes: Callable[[Found], dict[str, Any]],
        guard: Callable[[Found], list[ColumnElement[bool]]],
        *,
        now: datetime,
    ) -> StockChange | None:
        """If `guard` holds for the level as found (tracked by now; `started` if this write
        started it), apply `changes` (both computed from the level as found) in one statement
        that returns the level before and after; None when the guard refused."""
        # On Postgres `found` locks the row (FOR UPDATE): it waits for a concurrent writer's
        # commit, then reads what that writer left, and nobody comes between. The guard and
        # the new values are computed from `found`, not from the row the UPDATE scans: that
        # one is as of the statement's start, possibly older, and Postgres would judge the
        # WHERE clause and the CHECK constraints on it. SQLite's write lock is already held,
        # but its RETURNING sees only the new row: the old one is the CTE, materialized when
        # the WHERE clause first reads it, before the row changes.
        found_cte = (
            select(*with_reserved(now))
            .where(*at(*key))
            .with_for_update()
            .cte("found")
            .prefix_with("MATERIALIZED")
        )
        found = {column.name: select(column).scalar_subquery() for column in found_cte.c}
        statement = (
            update(levels)
            .add_cte(found_cte)
            .where(
                tuple_(levels.c.product_id, levels.c.location_id).in_(
                    select(found_cte.c.product_id, found_cte.c.location_id)
                ),
                *guard(found),
            )
            .values(version=found["version"] + 1, updated_at=now, **changes(found))
            .returning(
                *(value.label(f"before_{name}") for name, value in found.items()),
                *with_reserved(now, returning=True),
            )
        )
        row = self.session.execute(statement).first()
        if row is None:
            return None
        before = StockLevel.untracked(*key) if started else to_level(row, prefix="before_")
        return StockChange(before, to_level(row))

    def _columns(self) -> list[Any]:
        return with_reserved(self.clock())

    def _lock_level(self, product_id: UUID, location_id: UUID) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            locking = select(levels.c.version).where(*at(product_id, location_id))
            self.session.execute(locking.with_for_update()).all()

    def _one(self, statement: Any) -> StockLevel | None:
        row = self.session.execute(statement).first()
        return to_level(row) if row else None
