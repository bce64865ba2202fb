"""Add reservations: holds of a product at a location for a reference, until they expire.

Revision ID: 8d4b6f1a2c3e
Revises: 5c0a7d3e91b2
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d4b6f1a2c3e"
down_revision: str | None = "5c0a7d3e91b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies, not imports of the app: a migration must keep meaning what it meant.
STATUSES = "'ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED'"
ACTIVE = sa.text("status = 'ACTIVE'")


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservations_quantity_positive")),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_reservations_status_known")),
        sa.ForeignKeyConstraint(
            ["product_id", "location_id"],
            ["stock_levels.product_id", "stock_levels.location_id"],
            name=op.f("fk_reservations_product_id_stock_levels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index(
        "ix_reservations_active_level",
        "reservations",
        ["product_id", "location_id", "expires_at"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index(
        "ix_reservations_active_expiry",
        "reservations",
        ["expires_at"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index("ix_reservations_reference", "reservations", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_reservations_reference", table_name="reservations")
    op.drop_index("ix_reservations_active_expiry", table_name="reservations")
    op.drop_index("ix_reservations_active_level", table_name="reservations")
    op.drop_table("reservations")
