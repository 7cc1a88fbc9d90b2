"""safeguarding: alerts raised by a child's words or a low answer to a safety question, and
every step taken to tell a person

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("about_someone_else", sa.Boolean(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", UTC(timezone=True), nullable=False),
        sa.Column("acknowledged_at", UTC(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("cleared_at", UTC(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("next_step_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["young_person_id"], ["young_person.id"]),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"]),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["cleared_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_young_person_id"), ["young_person_id"])
        batch_op.create_index(batch_op.f("ix_alert_raised_at"), ["raised_at"])
        batch_op.create_index(batch_op.f("ix_alert_cleared_at"), ["cleared_at"])
        batch_op.create_index(batch_op.f("ix_alert_next_step_at"), ["next_step_at"])

    op.create_table(
        "alert_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_step_alert_id"), ["alert_id"])


def downgrade() -> None:
    op.drop_table("alert_step")
    op.drop_table("alert")
