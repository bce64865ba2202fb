"""The SQLAlchemy unit of work of the catalog."""

from __future__ import annotations

from sqlalchemy.orm import Session
from subgraph_kit.sql import SessionUnitOfWork

from app.domain.repositories import UnitOfWork
from app.infrastructure.db.models import OutboxEventRow
from app.infrastructure.db.repositories import SqlAlchemyProductRepository


class SqlAlchemyUnitOfWork(SessionUnitOfWork, UnitOfWork):
    """One Session per unit of work: products and the outbox share its transaction."""

    outbox_table = OutboxEventRow.__table__

    def open_repositories(self, session: Session) -> None:
        self.products = SqlAlchemyProductRepository(session)
