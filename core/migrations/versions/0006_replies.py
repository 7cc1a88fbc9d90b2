"""replies: a chosen group's children, and when a reply was queued or cancelled

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("child_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("queued_at", core.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("cancelled_at", core.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.alter_column("child_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("child_ids")
