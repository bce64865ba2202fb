"""Engines and sessions: pooled Postgres with bounded network waits, or SQLite in WAL mode."""

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
        connect_args=postgres_connect_args(settings),
    )


def postgres_connect_args(settings: ServiceSettings) -> dict[str, Any]:
    """libpq options that bound every wait on the network by the request timeout.

    A request is answered by its deadline, but the worker thread it leaves behind stays in
    libpq until the socket fails, holding a pooled connection: without these, a connection
    whose packets are dropped waits for the kernel's retransmissions (about 15 minutes), and
    an idle pooled one looks alive until its next use hangs (the pre-ping included).
    """
    timeout_ms = int(settings.request_timeout_seconds * 1000)
    server_options = {
        "statement_timeout": settings.statement_timeout_ms,
        # A transaction its client stopped driving (a dead network, an abandoned thread) is
        # rolled back by the server, and its row locks released, after a request's length.
        "idle_in_transaction_session_timeout": timeout_ms,
    }
    return {
        "connect_timeout": 3,
        # Data unacknowledged this long fails the socket: a black-holed query or COMMIT.
        "tcp_user_timeout": timeout_ms,
        # An idle connection is probed after 5 s of silence, and given up 3 probes later.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "options": " ".join(f"-c {name}={value}" for name, value in server_options.items()),
    }


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a factory of Sessions bound to `engine` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
