"""The SQLAlchemy implementation of the movement repository: each level's audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select, tuple_
from sqlalchemy.orm import Session

from app.domain.models import LevelKey, StockMovement
from app.domain.repositories import MovementRepository
from app.infrastructure.db.models import StockMovementRow
from app.infrastructure.db.rows import to_movement

movements = StockMovementRow.__table__


class SqlAlchemyMovementRepository(MovementRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, movement: StockMovement) -> None:
        self.session.execute(
            insert(movements).values(
                id=movement.id,
                product_id=movement.product_id,
                location_id=movement.location_id,
                delta=movement.delta,
                on_hand_after=movement.on_hand_after,
                reason=movement.reason.value,
                reference=movement.reference,
                created_at=movement.created_at,
            )
        )

    def list_for(
        self, levels: Sequence[LevelKey], *, limit: int, before: int | None
    ) -> dict[LevelKey, list[StockMovement]]:
        level = (movements.c.product_id, movements.c.location_id)
        newest_first = movements.c.position.desc()
        rank = func.row_number().over(partition_by=level, order_by=newest_first)
        # Products first: the index leads with them, and a page of levels has few locations.
        ranked: Select[Any] = select(movements, rank.label("rank")).where(
            movements.c.product_id.in_({product_id for product_id, _ in levels}),
            tuple_(*level).in_(levels),
        )
        if before is not None:
            ranked = ranked.where(movements.c.position < before)
        page = ranked.subquery()
        statement = (
            select(page)
            .where(page.c.rank <= limit)
            .order_by(page.c.product_id, page.c.location_id, page.c.position.desc())
        )
        found: dict[LevelKey, list[StockMovement]] = {key: [] for key in levels}
        for row in self.session.execute(statement):
            found[row.product_id, row.location_id].append(to_movement(row))
        return found

    def count_for(self, level: LevelKey) -> int:
        product_id, location_id = level
        statement = select(func.count()).where(
            movements.c.product_id == product_id, movements.c.location_id == location_id
        )
        return self.session.execute(statement).scalar_one()
