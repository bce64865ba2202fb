"""Engines as the settings name them: SQLite in WAL mode, Postgres with a statement timeout."""

from __future__ import annotations

import sqlalchemy as sa
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine


def test_sqlite_databases_run_in_wal_mode_with_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'folder' / 'x.db'}"
    engine = create_db_engine(ServiceSettings(database_url=url))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_postgres_connections_carry_the_statement_timeout(postgres_server):
    settings = ServiceSettings(database_url=postgres_server, statement_timeout_ms=1500)
    engine = create_db_engine(settings)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SHOW statement_timeout")).scalar() == "1500ms"
    engine.dispose()
