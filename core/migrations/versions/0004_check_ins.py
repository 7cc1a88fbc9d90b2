"""check ins: repeating check-ins link to the one they follow; overdue call-backs told once

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follows_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_check_in_follows_id_check_in"), "check_in", ["follows_id"], ["id"]
        )
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "overdue_notified_at", core.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_column("overdue_notified_at")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_check_in_follows_id_check_in"), type_="foreignkey")
        batch_op.drop_column("follows_id")
