"""The SQLAlchemy implementation of the location repository."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.models import Location, LocationPage
from app.domain.repositories import LocationRepository
from app.infrastructure.db.models import LocationRow
from app.infrastructure.db.repositories import insert_ignoring_conflicts
from app.infrastructure.db.rows import to_location

locations = LocationRow.__table__


class SqlAlchemyLocationRepository(LocationRepository):
    """A stock write holds its location (`hold`) and deactivation updates it, so the two
    serialise on the location row: Postgres' FOR SHARE against the UPDATE's row lock; on
    SQLite the database write lock, which `hold` takes at once (see there)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, location: Location) -> bool:
        values = {
            "id": location.id,
            "code": location.code,
            "name": location.name,
            "active": location.active,
            "created_at": location.created_at,
        }
        return insert_ignoring_conflicts(self.session, locations, values)

    def get_many(self, location_ids: Sequence[UUID]) -> list[Location]:
        return self._all(select(locations).where(locations.c.id.in_(location_ids)))

    def get_by_codes(self, codes: Sequence[str]) -> list[Location]:
        return self._all(select(locations).where(locations.c.code.in_(codes)))

    def list(self, page: LocationPage, *, limit: int) -> list[Location]:
        statement = select(locations).where(*self._listed(page.include_inactive))
        if page.after is not None:
            statement = statement.where(locations.c.code > page.after)
        return self._all(statement.order_by(locations.c.code).limit(limit))

    def count(self, *, include_inactive: bool) -> int:
        statement = select(func.count()).where(*self._listed(include_inactive))
        return self.session.execute(statement.select_from(locations)).scalar_one()

    def hold_many(self, location_ids: Sequence[UUID], *, all_active: bool) -> list[Location]:
        wanted = locations.c.id.in_(location_ids)
        if all_active:
            wanted = wanted | locations.c.active
        if self.session.get_bind().dialect.name == "postgresql":
            statement: Any = (
                select(locations).where(wanted).order_by(locations.c.id).with_for_update(read=True)
            )
        else:  # as in `hold`: the write lock, now
            statement = (
                update(locations)
                .where(wanted)
                .values(active=locations.c.active)
                .returning(*locations.c)
            )
        return self._all(statement)

    def hold(self, location_id: UUID) -> Location | None:
        if self.session.get_bind().dialect.name == "postgresql":
            statement: Any = (
                select(locations).where(locations.c.id == location_id).with_for_update(read=True)
            )
        else:
            # SQLite has no row locks, and a SELECT would run before the transaction begins
            # (pysqlite begins it at the first write): writing the row unchanged takes the
            # write lock now, which every SQLite writer takes anyway, so the location read
            # stays true until commit.
            statement = (
                update(locations)
                .where(locations.c.id == location_id)
                .values(active=locations.c.active)
                .returning(*locations.c)
            )
        row = self.session.execute(statement).first()
        return to_location(row) if row else None

    def deactivate(self, location_id: UUID) -> Location | None:
        statement = (
            update(locations)
            .where(locations.c.id == location_id, locations.c.active)
            .values(active=False)
            .returning(*locations.c)
        )
        row = self.session.execute(statement).first()
        return to_location(row) if row else None

    def _listed(self, include_inactive: bool) -> list[Any]:
        return [] if include_inactive else [locations.c.active]

    def _all(self, statement: Any) -> list[Location]:
        return [to_location(row) for row in self.session.execute(statement)]
