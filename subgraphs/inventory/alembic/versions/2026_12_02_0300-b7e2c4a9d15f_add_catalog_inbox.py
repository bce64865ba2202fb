"""Add what inventory hears from the catalog: the inbox of applied events, the catalog's news
per product, and the retirement of a deleted product's levels.

Revision ID: b7e2c4a9d15f
Revises: 8d4b6f1a2c3e
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2c4a9d15f"
down_revision: str | None = "8d4b6f1a2c3e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_inbox_messages")),
    )
    op.create_index(
        op.f("ix_inbox_messages_received_at"), "inbox_messages", ["received_at"], unique=False
    )
    op.create_table(
        "catalog_products",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_catalog_products")),
    )
    with op.batch_alter_table("stock_levels") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_levels") as batch:
        batch.drop_column("retired_at")
    op.drop_table("catalog_products")
    op.drop_index(op.f("ix_inbox_messages_received_at"), table_name="inbox_messages")
    op.drop_table("inbox_messages")
