"""Engines and sessions: pooled Postgres with a statement timeout, or SQLite in WAL mode."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from subgraph_kit.settings import ServiceSettings


def utc(value: datetime) -> datetime:
    """Attach UTC to the naive datetimes SQLite hands back."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create_db_engine(settings: ServiceSettings) -> Engine:
    """Create the engine the settings name."""
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


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a factory of Sessions bound to `engine` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
