"""The SQLAlchemy unit of work of the inventory."""

from __future__ import annotations

from sqlalchemy.orm import Session
from subgraph_kit.sql import SessionUnitOfWork

from app.domain.repositories import UnitOfWork
from app.infrastructure.db.models import OutboxEventRow
from app.infrastructure.db.repositories import (
    SqlAlchemyIdempotencyStore,
    SqlAlchemyMovementRepository,
    SqlAlchemyStockRepository,
)


class SqlAlchemyUnitOfWork(SessionUnitOfWork, UnitOfWork):
    """One Session per unit of work: levels, movements, keys and the outbox share it."""

    outbox_table = OutboxEventRow.__table__

    def open_repositories(self, session: Session) -> None:
        self.stock = SqlAlchemyStockRepository(session)
        self.movements = SqlAlchemyMovementRepository(session)
        self.idempotency = SqlAlchemyIdempotencyStore(session)
