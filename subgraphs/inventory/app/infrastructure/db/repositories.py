"""SQLAlchemy implementations of the inventory's repository interfaces."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from subgraph_kit.sql import utc

from app.domain.models import (
    MAX_ON_HAND,
    StockChangeReason,
    StockLevel,
    StockLevelFilter,
    StockMovement,
)
from app.domain.repositories import (
    IdempotencyStore,
    MovementRepository,
    StockRepository,
    StoredResult,
)
from app.infrastructure.db.models import (
    IdempotencyKeyRow,
    StockLevelRow,
    StockMovementRow,
)

levels = StockLevelRow.__table__
movements = StockMovementRow.__table__
idempotency_keys = IdempotencyKeyRow.__table__


def insert_ignoring_conflicts(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; return whether a row was inserted.

    On Postgres a conflicting insert waits for the transaction that holds the key, so this
    is also how concurrent writers of one key are put in line.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values).on_conflict_do_nothing()
    return session.execute(statement).rowcount == 1


def to_level(row: Row[Any]) -> StockLevel:
    return StockLevel(
        product_id=row.product_id,
        on_hand=row.on_hand,
        reorder_point=row.reorder_point,
        version=row.version,
        updated_at=utc(row.updated_at),
    )


def to_movement(row: Row[Any]) -> StockMovement:
    return StockMovement(
        id=row.id,
        product_id=row.product_id,
        delta=row.delta,
        on_hand_after=row.on_hand_after,
        reason=StockChangeReason(row.reason),
        reference=row.reference,
        created_at=utc(row.created_at),
        position=row.position,
    )


def filter_conditions(filter: StockLevelFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filter.product_ids is not None:
        conditions.append(levels.c.product_id.in_(filter.product_ids))
    if filter.low_stock is not None:
        low = levels.c.on_hand <= levels.c.reorder_point
        conditions.append(low if filter.low_stock else ~low)
    if filter.out_of_stock is not None:
        out = levels.c.on_hand == 0
        conditions.append(out if filter.out_of_stock else ~out)
    return conditions


class SqlAlchemyStockRepository(StockRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, product_id: UUID, *, for_update: bool = False) -> StockLevel | None:
        statement = select(levels).where(levels.c.product_id == product_id)
        return self._one(statement.with_for_update() if for_update else statement)

    def get_many(self, product_ids: Sequence[UUID]) -> list[StockLevel]:
        rows = self.session.execute(select(levels).where(levels.c.product_id.in_(product_ids)))
        return [to_level(row) for row in rows]

    def list(self, *, filter: StockLevelFilter, limit: int, after: UUID | None) -> list[StockLevel]:
        statement = select(levels).where(*filter_conditions(filter))
        if after is not None:
            statement = statement.where(levels.c.product_id > after)
        rows = self.session.execute(statement.order_by(levels.c.product_id).limit(limit))
        return [to_level(row) for row in rows]

    def count(self, *, filter: StockLevelFilter) -> int:
        statement = select(func.count()).select_from(levels).where(*filter_conditions(filter))
        return self.session.execute(statement).scalar_one()

    def ensure(self, product_id: UUID, *, now: datetime) -> bool:
        values = {
            "product_id": product_id,
            "on_hand": 0,
            "reorder_point": 0,
            "version": 0,
            "updated_at": now,
        }
        return not insert_ignoring_conflicts(self.session, levels, values)

    def add_to_on_hand(self, product_id: UUID, delta: int, *, now: datetime) -> StockLevel | None:
        # One guarded UPDATE: concurrent writers queue on the row, and Postgres re-checks the
        # WHERE clause against the committed value, so no update is lost and none goes negative.
        result = cast(levels.c.on_hand, BigInteger) + delta
        statement = (
            update(levels)
            .where(levels.c.product_id == product_id, result >= 0, result <= MAX_ON_HAND)
            .values(on_hand=levels.c.on_hand + delta, version=levels.c.version + 1, updated_at=now)
            .returning(*levels.c)
        )
        return self._one(statement)

    def set_on_hand(
        self, product_id: UUID, on_hand: int, *, version: int, now: datetime
    ) -> StockLevel | None:
        statement = (
            update(levels)
            .where(levels.c.product_id == product_id, levels.c.version == version)
            .values(on_hand=on_hand, version=levels.c.version + 1, updated_at=now)
            .returning(*levels.c)
        )
        return self._one(statement)

    def set_reorder_point(
        self, product_id: UUID, reorder_point: int, *, now: datetime
    ) -> StockLevel:
        statement = (
            update(levels)
            .where(levels.c.product_id == product_id)
            .values(reorder_point=reorder_point, version=levels.c.version + 1, updated_at=now)
            .returning(*levels.c)
        )
        level = self._one(statement)
        assert level is not None
        return level

    def _one(self, statement: Any) -> StockLevel | None:
        row = self.session.execute(statement).first()
        return to_level(row) if row else None


class SqlAlchemyMovementRepository(MovementRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, movement: StockMovement) -> None:
        self.session.execute(
            insert(movements).values(
                id=movement.id,
                product_id=movement.product_id,
                delta=movement.delta,
                on_hand_after=movement.on_hand_after,
                reason=movement.reason.value,
                reference=movement.reference,
                created_at=movement.created_at,
            )
        )

    def list_for(
        self, product_ids: Sequence[UUID], *, limit: int, before: int | None
    ) -> dict[UUID, list[StockMovement]]:
        newest_first = movements.c.position.desc()
        rank = func.row_number().over(partition_by=movements.c.product_id, order_by=newest_first)
        ranked: Select[Any] = select(movements, rank.label("rank")).where(
            movements.c.product_id.in_(product_ids)
        )
        if before is not None:
            ranked = ranked.where(movements.c.position < before)
        page = ranked.subquery()
        statement = (
            select(page)
            .where(page.c.rank <= limit)
            .order_by(page.c.product_id, page.c.position.desc())
        )
        found: dict[UUID, list[StockMovement]] = {product_id: [] for product_id in product_ids}
        for row in self.session.execute(statement):
            found[row.product_id].append(to_movement(row))
        return found

    def count_for(self, product_id: UUID) -> int:
        statement = select(func.count()).where(movements.c.product_id == product_id)
        return self.session.execute(statement).scalar_one()


class SqlAlchemyIdempotencyStore(IdempotencyStore):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> StoredResult | None:
        statement = select(idempotency_keys).where(idempotency_keys.c.key == key)
        row = self.session.execute(statement).first()
        return StoredResult(row.fingerprint, row.result) if row else None

    def claim(self, key: str, *, fingerprint: str, now: datetime) -> bool:
        values = {"key": key, "fingerprint": fingerprint, "result": None, "created_at": now}
        return insert_ignoring_conflicts(self.session, idempotency_keys, values)

    def complete(self, key: str, result: dict[str, Any]) -> None:
        self.session.execute(
            update(idempotency_keys).where(idempotency_keys.c.key == key).values(result=result)
        )

    def purge(self, *, older_than: datetime) -> int:
        statement = delete(idempotency_keys).where(idempotency_keys.c.created_at < older_than)
        return self.session.execute(statement).rowcount
