"""The SQLAlchemy idempotency store: each key, its request's fingerprint and what it answered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.domain.models import StockLevel
from app.domain.repositories import IdempotencyStore, StoredResult
from app.infrastructure.db.models import IdempotencyKeyRow
from app.infrastructure.db.repositories import insert_ignoring_conflicts
from app.infrastructure.db.rows import levels_from_snapshot, levels_snapshot

idempotency_keys = IdempotencyKeyRow.__table__


class SqlAlchemyIdempotencyStore(IdempotencyStore):
    """Keys and the levels each answered, stored as JSON (`levels_snapshot`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> StoredResult | None:
        statement = select(idempotency_keys).where(idempotency_keys.c.key == key)
        row = self.session.execute(statement).first()
        if row is None:
            return None
        if isinstance(row.result, dict) and "reservationIds" in row.result:
            ids = tuple(UUID(value) for value in row.result["reservationIds"])
            return StoredResult(row.fingerprint, (), reservation_ids=ids)
        return StoredResult(row.fingerprint, levels_from_snapshot(row.result))

    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        values = {"key": key, "fingerprint": fingerprint, "result": None, "created_at": now}
        return insert_ignoring_conflicts(self.session, idempotency_keys, values)

    def complete(self, key: str, levels: Sequence[StockLevel]) -> None:
        self.session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(result=levels_snapshot(levels))
        )

    def complete_reservation(self, key: str, reservation_ids: Sequence[UUID]) -> None:
        result = {"reservationIds": [str(value) for value in reservation_ids]}
        self.session.execute(
            update(idempotency_keys).where(idempotency_keys.c.key == key).values(result=result)
        )

    def purge(self, *, older_than: datetime) -> int:
        statement = delete(idempotency_keys).where(idempotency_keys.c.created_at < older_than)
        return self.session.execute(statement).rowcount
