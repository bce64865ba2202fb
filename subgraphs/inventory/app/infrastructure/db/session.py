"""Engine, session factory and the SQLAlchemy unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.domain.repositories import UnitOfWork
from app.infrastructure.db.repositories import (
    SqlAlchemyIdempotencyStore,
    SqlAlchemyMovementRepository,
    SqlAlchemyOutbox,
    SqlAlchemyStockRepository,
)
from app.settings import Settings


def create_db_engine(settings: Settings) -> Engine:
    """Create the engine: pooled Postgres with a statement timeout, or SQLite in WAL mode."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={
            "connect_timeout": 3,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        },
    )


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class SqlAlchemyUnitOfWork(UnitOfWork):
    """A unit of work over one Session, opened on `with` and closed when the block ends."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        self.session = self.session_factory()
        self.stock = SqlAlchemyStockRepository(self.session)
        self.movements = SqlAlchemyMovementRepository(self.session)
        self.idempotency = SqlAlchemyIdempotencyStore(self.session)
        self.outbox = SqlAlchemyOutbox(self.session)
        return self

    def __exit__(self, *args: object) -> None:
        super().__exit__(*args)
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def now(self) -> datetime:
        return datetime.now(UTC)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a factory of Sessions bound to `engine` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
