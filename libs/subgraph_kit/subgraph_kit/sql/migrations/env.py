"""Alembic's environment, the same for every subgraph.

A service's `pyproject.toml` ([tool.alembic]) points `script_location` here and names its own
`version_locations`, its table metadata (`target_metadata = "module:attribute"`) and its
settings class (`settings = "module:attribute"`), whose `database_url` is migrated. Tests
pass another URL as the `database_url` attribute of the Alembic config.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool


def _load(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    found: Any = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def run_migrations() -> None:
    """Migrate the database the service settings name (or the URL a test passes)."""
    config = context.config
    if config.attributes.get("configure_logger", True):
        logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s", level="WARNING")
        logging.getLogger("alembic").setLevel("INFO")
    metadata = _load(config.get_alembic_option("target_metadata"))
    url = (
        config.attributes.get("database_url")
        or _load(config.get_alembic_option("settings"))().database_url
    )
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


run_migrations()
