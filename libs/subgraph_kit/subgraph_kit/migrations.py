"""Alembic's environment, the same for every subgraph: `alembic/env.py` calls `run_migrations`."""

from __future__ import annotations

from collections.abc import Callable
from logging.config import fileConfig

from alembic import context
from sqlalchemy import MetaData, create_engine, pool


def run_migrations(metadata: MetaData, database_url: Callable[[], str]) -> None:
    """Migrate the database the service settings name (tests pass theirs as an attribute)."""
    config = context.config
    if config.config_file_name is not None and config.attributes.get("configure_logger", True):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = config.attributes.get("database_url") or database_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
