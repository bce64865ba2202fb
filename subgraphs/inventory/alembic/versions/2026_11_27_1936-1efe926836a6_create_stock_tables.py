"""Create the stock_levels, stock_movements, idempotency_keys and outbox_events tables.

Revision ID: 1efe926836a6
Revises:
Create Date: 2026-11-27 19:36:39.038294
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1efe926836a6"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
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
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_events_pending",
            ["position"],
            unique=False,
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "stock_levels",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand_not_negative")),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_stock_levels_reorder_point_not_negative")
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_stock_levels")),
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_levels_low_stock",
            ["product_id"],
            unique=False,
            postgresql_where=sa.text("on_hand <= reorder_point"),
            sqlite_where=sa.text("on_hand <= reorder_point"),
        )
        batch_op.create_index(
            "ix_stock_levels_out_of_stock",
            ["product_id"],
            unique=False,
            postgresql_where=sa.text("on_hand = 0"),
            sqlite_where=sa.text("on_hand = 0"),
        )

    op.create_table(
        "stock_movements",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('RECEIVED', 'RETURNED', 'SOLD', 'CORRECTION', 'CYCLE_COUNT', "
            "'DAMAGED', 'SHRINKAGE', 'OTHER')",
            name=op.f("ck_stock_movements_reason_known"),
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_stock_movements_delta_not_zero")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["stock_levels.product_id"],
            name=op.f("fk_stock_movements_product_id_stock_levels"),
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_stock_movements")),
        sa.UniqueConstraint("id", name=op.f("uq_stock_movements_id")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_movements_product_id_position", ["product_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movements_product_id_position")

    op.drop_table("stock_movements")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_stock_levels_out_of_stock",
            postgresql_where=sa.text("on_hand = 0"),
            sqlite_where=sa.text("on_hand = 0"),
        )
        batch_op.drop_index(
            "ix_stock_levels_low_stock",
            postgresql_where=sa.text("on_hand <= reorder_point"),
            sqlite_where=sa.text("on_hand <= reorder_point"),
        )

    op.drop_table("stock_levels")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_events_pending",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("outbox_events")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
