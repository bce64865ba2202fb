"""The SQLAlchemy unit of work of the inventory."""

from __future__ import annotations

from sqlalchemy.orm import Session
from subgraph_kit.sql.unit_of_work import SessionUnitOfWork

from app.domain.repositories import UnitOfWork
from app.infrastructure.db.catalog import (
    SqlAlchemyCatalogEntryRepository,
    SqlAlchemyInboxRepository,
)
from app.infrastructure.db.idempotency import SqlAlchemyIdempotencyStore
from app.infrastructure.db.locations import SqlAlchemyLocationRepository
from app.infrastructure.db.models import Base
from app.infrastructure.db.movements import SqlAlchemyMovementRepository
from app.infrastructure.db.repositories import SqlAlchemyStockRepository
from app.infrastructure.db.reservations import SqlAlchemyReservationRepository


class SqlAlchemyUnitOfWork(SessionUnitOfWork, UnitOfWork):
    """One Session per unit of work: locations, levels, movements, holds, keys, the catalog's
    news and inbox, and the outbox share it."""

    metadata = Base.metadata

    def open_repositories(self, session: Session) -> None:
        self.locations = SqlAlchemyLocationRepository(session)
        self.stock = SqlAlchemyStockRepository(session, clock=self.now)
        self.movements = SqlAlchemyMovementRepository(session)
        self.reservations = SqlAlchemyReservationRepository(session)
        self.idempotency = SqlAlchemyIdempotencyStore(session)
        self.inbox = SqlAlchemyInboxRepository(session)
        self.catalog_entries = SqlAlchemyCatalogEntryRepository(session)
