"""The SQLAlchemy reservation repository: holds, and their guarded moves from ACTIVE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.domain.models import Reservation, ReservationStatus
from app.domain.repositories import ReservationRepository
from app.infrastructure.db.models import ReservationRow
from app.infrastructure.db.rows import to_reservation

holds = ReservationRow.__table__
ACTIVE = ReservationStatus.ACTIVE.value


class SqlAlchemyReservationRepository(ReservationRepository):
    """A status change is `UPDATE … WHERE status = 'ACTIVE' … RETURNING`: of two concurrent
    ones (a commit and the sweeper, say), Postgres makes the second wait, then finds the row
    no longer ACTIVE; SQLite runs them one after the other. Either way a hold moves once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, reservations: Sequence[Reservation]) -> None:
        rows = [
            {
                "id": hold.id,
                "reference": hold.reference,
                "product_id": hold.product_id,
                "location_id": hold.location_id,
                "quantity": hold.quantity,
                "status": hold.status.value,
                "expires_at": hold.expires_at,
                "created_at": hold.created_at,
            }
            for hold in reservations
        ]
        if rows:
            self.session.execute(insert(holds), rows)

    def counting(
        self, reference: str, product_ids: Sequence[UUID], *, now: datetime
    ) -> list[Reservation]:
        return self._all(
            select(holds).where(
                holds.c.reference == reference,
                holds.c.product_id.in_(product_ids),
                holds.c.status == ACTIVE,
                holds.c.expires_at > now,
            )
        )

    def of_reference(
        self, reference: str, statuses: Sequence[ReservationStatus] | None = None
    ) -> list[Reservation]:
        statement = select(holds).where(holds.c.reference == reference)
        if statuses is not None:
            statement = statement.where(holds.c.status.in_([status.value for status in statuses]))
        return self._all(statement.order_by(holds.c.created_at, holds.c.id))

    def get_many(self, reservation_ids: Sequence[UUID]) -> list[Reservation]:
        return self._all(select(holds).where(holds.c.id.in_(reservation_ids)))

    def count_active(self, *, now: datetime) -> int:
        counted = select(func.count()).where(holds.c.status == ACTIVE, holds.c.expires_at > now)
        return self.session.execute(counted).scalar_one()

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
        conditions: list[Any] = [holds.c.status == ACTIVE]
        if ids is not None:
            conditions.append(holds.c.id.in_(ids))
        if reference is not None:
            conditions.append(holds.c.reference == reference)
        if product_ids is not None:
            conditions.append(holds.c.product_id.in_(product_ids))
        if expiring_before is not None:
            conditions.append(holds.c.expires_at <= expiring_before)
        if unexpired_at is not None:
            conditions.append(holds.c.expires_at > unexpired_at)
        if created_since is not None:
            conditions.append(holds.c.created_at >= created_since)
        if limit is not None:
            # UPDATE has no LIMIT: pick the rows first (oldest expiry first).
            picked = select(holds.c.id).where(*conditions).order_by(holds.c.expires_at)
            conditions = [holds.c.id.in_(picked.limit(limit)), holds.c.status == ACTIVE]
        statement = update(holds).where(*conditions).values(status=status.value).returning(*holds.c)
        finished = self._all(statement)
        return sorted(finished, key=lambda hold: (hold.product_id, hold.location_id, hold.id))

    def _all(self, statement: Any) -> list[Reservation]:
        return [to_reservation(row) for row in self.session.execute(statement)]
