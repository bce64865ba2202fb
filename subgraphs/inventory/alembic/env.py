"""Alembic environment: URL from the service settings, metadata from the table models."""

from subgraph_kit.migrations import run_migrations

from app.infrastructure.db.models import Base
from app.settings import Settings

run_migrations(Base.metadata, lambda: Settings().database_url)
