"""screening tiers: which layer raised an alert and its score, staff labels, and concerns
(the check tier, reviewed by staff without paging anyone)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.crypto
import core.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.models.base.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("layer", String(length=40), nullable=True))
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("label", String(length=16), nullable=True))
        batch_op.add_column(sa.Column("labelled_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("labelled_at", UTC(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_alert_labelled_by", "staff", ["labelled_by"], ["id"])
    op.create_table(
        "concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("about_someone_else", sa.Boolean(), nullable=False),
        sa.Column("source", String(length=16), nullable=False),
        sa.Column("layer", String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("message", core.crypto.Sealed(), nullable=True),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("locale", String(length=12), nullable=True),
        sa.Column("raised_at", UTC(timezone=True), nullable=False),
        sa.Column("child_choice", String(length=12), nullable=True),
        sa.Column("listening", sa.Boolean(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("label", String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["young_person_id"], ["young_person.id"]),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["staff.id"]),
        # ids are never reused (SQLite needs AUTOINCREMENT for that)
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_young_person_id"), ["young_person_id"])
        batch_op.create_index(batch_op.f("ix_concern_raised_at"), ["raised_at"])
        batch_op.create_index(batch_op.f("ix_concern_reviewed_at"), ["reviewed_at"])


def downgrade() -> None:
    op.drop_table("concern")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_labelled_by", type_="foreignkey")
        for column in ("labelled_at", "labelled_by", "label", "score", "layer"):
            batch_op.drop_column(column)
