"""The kit's Alembic environment, driven by a service's `[tool.alembic]` pyproject."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from subgraph_kit_testing.databases import migrate, schema_drift
from tiny_subgraph.notes import Base

PYPROJECT = """\
[tool.alembic]
script_location = "subgraph_kit.sql:migrations"
version_locations = ["%(here)s/versions"]
path_separator = "os"
target_metadata = "tiny_subgraph.notes:Base.metadata"
settings = "subgraph_kit.settings:ServiceSettings"
"""

# The tiny subgraph's tables, as autogenerate writes them.
REVISION = '''\
"""Create the notes and outbox_events tables."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_table(
        "outbox_events",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("traceparent", sa.String(length=55), nullable=True),
        sa.Column("tracestate", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    op.create_index(
        "ix_outbox_events_pending",
        "outbox_events",
        ["position"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_events_pending_aggregate",
        "outbox_events",
        ["aggregate_id", "position"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("outbox_events")
    op.drop_table("notes")
'''


@pytest.fixture
def service_root(tmp_path: Path) -> Path:
    """A service folder holding only its pyproject and one revision."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "0001_create_notes.py").write_text(REVISION)
    return tmp_path


def test_the_environment_applies_a_services_revisions(service_root, empty_database):
    migrate(service_root, empty_database)
    engine = sa.create_engine(empty_database)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert tables == {"alembic_version", "notes", "outbox_events"}


def test_migrated_tables_are_exactly_what_the_models_describe(service_root, empty_database):
    migrate(service_root, empty_database)
    engine = sa.create_engine(empty_database)
    assert schema_drift(engine, Base.metadata) == []
    engine.dispose()


def test_without_a_url_given_the_environment_migrates_the_settings_database(
    service_root, tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'from-settings.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    config = Config(toml_file=str(service_root / "pyproject.toml"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    engine = sa.create_engine(url)
    assert "notes" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_autogenerate_on_sqlite_writes_batch_operations(service_root, tmp_path):
    # A revision whose `text` column is narrower than the model's: autogenerate must alter it,
    # and SQLite can only do that by copying the table (batch mode).
    revision = service_root / "versions" / "0001_create_notes.py"
    revision.write_text(REVISION.replace("sa.String(length=200)", "sa.String(length=100)"))
    url = f"sqlite:///{tmp_path / 'narrow.db'}"
    migrate(service_root, url)
    config = Config(toml_file=str(service_root / "pyproject.toml"))
    config.attributes.update(database_url=url, configure_logger=False)
    command.revision(config, message="widen text", autogenerate=True, rev_id="0002")
    (written,) = (service_root / "versions").glob("0002_*.py")
    assert "batch_op.alter_column(" in written.read_text()


def test_offline_mode_writes_the_migration_as_sql(service_root, capsys):
    config = Config(toml_file=str(service_root / "pyproject.toml"))
    config.attributes.update(database_url="postgresql://u@h/db", configure_logger=False)
    command.upgrade(config, "head", sql=True)
    written = capsys.readouterr().out
    assert "CREATE TABLE notes (" in written
    assert "ON outbox_events (position) WHERE sent_at IS NULL" in written
