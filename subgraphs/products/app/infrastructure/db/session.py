"""The SQLAlchemy unit of work of the catalog."""

from __future__ import annotations

from sqlalchemy.orm import Session
from subgraph_kit.sql.unit_of_work import SessionUnitOfWork

from app.domain.repositories import UnitOfWork
from app.infrastructure.db.models import Base
from app.infrastructure.db.repositories import SqlAlchemyProductRepository


class SqlAlchemyUnitOfWork(SessionUnitOfWork, UnitOfWork):
    """One Session per unit of work: products and the outbox share its transaction."""

    metadata = Base.metadata

    def open_repositories(self, session: Session) -> None:
        self.products = SqlAlchemyProductRepository(session)
