"""Add locations; stock levels and movements become per (product, location), all at DEFAULT.

Creates the `locations` table with the location DEFAULT (its id fixed, see
`app.domain.models.DEFAULT_LOCATION_ID`), moves every existing level and movement there, and
lets movements carry the transfer reasons.

Revision ID: 5c0a7d3e91b2
Revises: 1efe926836a6
Create Date: 2026-12-02 01:00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "5c0a7d3e91b2"
down_revision: str | None = "1efe926836a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies, not imports of the app: a migration must keep meaning what it meant.
DEFAULT_LOCATION_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
OLD_REASONS = (
    "'RECEIVED', 'RETURNED', 'SOLD', 'CORRECTION', 'CYCLE_COUNT', 'DAMAGED', 'SHRINKAGE', 'OTHER'"
)
NEW_REASONS = f"{OLD_REASONS}, 'TRANSFER_IN', 'TRANSFER_OUT'"
LOW_STOCK = sa.text("on_hand <= reorder_point")
OUT_OF_STOCK = sa.text("on_hand = 0")
STOCKED = sa.text("on_hand > 0")


def _at_default(table: str) -> None:
    """Put every row of `table` at the DEFAULT location."""
    rows = sa.table(table, sa.column("location_id", sa.Uuid()))
    op.execute(sa.update(rows).values(location_id=DEFAULT_LOCATION_ID))


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
    )
    locations = sa.table(
        "locations",
        sa.column("id", sa.Uuid()),
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        locations,
        [
            {
                "id": DEFAULT_LOCATION_ID,
                "code": "DEFAULT",
                "name": "Default location",
                "active": True,
                "created_at": datetime.now(UTC),
            }
        ],
    )

    # Movements point at a level by product id alone: that key goes before the levels' does.
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stock_movements_product_id_stock_levels", type_="foreignkey")
        batch_op.drop_index("ix_stock_movements_product_id_position")
        batch_op.add_column(sa.Column("location_id", sa.Uuid(), nullable=True))
    _at_default("stock_movements")

    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_id", sa.Uuid(), nullable=True))
    _at_default("stock_levels")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.alter_column("location_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_index(
            "ix_stock_levels_low_stock", postgresql_where=LOW_STOCK, sqlite_where=LOW_STOCK
        )
        batch_op.drop_index(
            "ix_stock_levels_out_of_stock", postgresql_where=OUT_OF_STOCK, sqlite_where=OUT_OF_STOCK
        )
        batch_op.drop_constraint("pk_stock_levels", type_="primary")
        batch_op.create_primary_key("pk_stock_levels", ["product_id", "location_id"])
        batch_op.create_foreign_key(
            op.f("fk_stock_levels_location_id_locations"), "locations", ["location_id"], ["id"]
        )
        batch_op.create_index(
            "ix_stock_levels_low_stock",
            ["product_id", "location_id"],
            unique=False,
            postgresql_where=LOW_STOCK,
            sqlite_where=LOW_STOCK,
        )
        batch_op.create_index(
            "ix_stock_levels_out_of_stock",
            ["product_id", "location_id"],
            unique=False,
            postgresql_where=OUT_OF_STOCK,
            sqlite_where=OUT_OF_STOCK,
        )
        batch_op.create_index(
            "ix_stock_levels_stocked_location",
            ["location_id"],
            unique=False,
            postgresql_where=STOCKED,
            sqlite_where=STOCKED,
        )

    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.alter_column("location_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_constraint(op.f("ck_stock_movements_reason_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stock_movements_reason_known"), sa.text(f"reason IN ({NEW_REASONS})")
        )
        batch_op.create_foreign_key(
            op.f("fk_stock_movements_product_id_stock_levels"),
            "stock_levels",
            ["product_id", "location_id"],
            ["product_id", "location_id"],
        )
        batch_op.create_index(
            "ix_stock_movements_product_id_location_id_position",
            ["product_id", "location_id", "position"],
            unique=False,
        )


def downgrade() -> None:
    """Back to one level per product; refused while stock or movements are elsewhere than
    DEFAULT, which the old tables cannot hold."""
    bind = op.get_bind()
    elsewhere = bind.execute(
        sa.text(
            "SELECT (SELECT COUNT(*) FROM stock_levels WHERE location_id <> :default)"
            " + (SELECT COUNT(*) FROM stock_movements WHERE location_id <> :default)"
        ).bindparams(sa.bindparam("default", DEFAULT_LOCATION_ID, type_=sa.Uuid()))
    ).scalar_one()
    if elsewhere:
        raise RuntimeError(
            "Cannot downgrade: levels or movements exist at locations other than DEFAULT."
        )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movements_product_id_location_id_position")
        batch_op.drop_constraint(
            op.f("fk_stock_movements_product_id_stock_levels"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("ck_stock_movements_reason_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stock_movements_reason_known"), sa.text(f"reason IN ({OLD_REASONS})")
        )
        batch_op.drop_column("location_id")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_stock_levels_stocked_location", postgresql_where=STOCKED, sqlite_where=STOCKED
        )
        batch_op.drop_index(
            "ix_stock_levels_out_of_stock", postgresql_where=OUT_OF_STOCK, sqlite_where=OUT_OF_STOCK
        )
        batch_op.drop_index(
            "ix_stock_levels_low_stock", postgresql_where=LOW_STOCK, sqlite_where=LOW_STOCK
        )
        batch_op.drop_constraint(op.f("fk_stock_levels_location_id_locations"), type_="foreignkey")
        batch_op.drop_constraint("pk_stock_levels", type_="primary")
        batch_op.create_primary_key("pk_stock_levels", ["product_id"])
        batch_op.drop_column("location_id")
        batch_op.create_index(
            "ix_stock_levels_low_stock",
            ["product_id"],
            unique=False,
            postgresql_where=LOW_STOCK,
            sqlite_where=LOW_STOCK,
        )
        batch_op.create_index(
            "ix_stock_levels_out_of_stock",
            ["product_id"],
            unique=False,
            postgresql_where=OUT_OF_STOCK,
            sqlite_where=OUT_OF_STOCK,
        )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_stock_movements_product_id_stock_levels"),
            "stock_levels",
            ["product_id"],
            ["product_id"],
        )
        batch_op.create_index(
            "ix_stock_movements_product_id_position", ["product_id", "position"], unique=False
        )
    op.drop_table("locations")
