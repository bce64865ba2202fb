"""Keep the W3C trace context of the change that staged each outbox event, and index the
pending events by aggregate for the relays' claim.

Revision ID: 6e2b9f47c1d8
Revises: b7e2c4a9d15f
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e2b9f47c1d8"
down_revision: str | None = "b7e2c4a9d15f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("sent_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))
        batch_op.add_column(sa.Column("tracestate", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_outbox_events_pending_aggregate",
            ["aggregate_id", "position"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_events_pending_aggregate",
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.drop_column("tracestate")
        batch_op.drop_column("traceparent")
