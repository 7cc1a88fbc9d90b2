"""ids are never handed out twice, on SQLite too (AUTOINCREMENT); which children each export
file holds

SQLite without AUTOINCREMENT gives a new row the highest id plus one, so after the newest
child was erased the next child enrolled took their id, and with it whatever still pointed at
it (a reply waiting to go to that id). SQLite cannot add AUTOINCREMENT to a table, so each table
with an integer id is copied into a new one that has it, data and indexes kept (core.db.migrate
runs this with foreign keys off and checks every key before it commits). PostgreSQL's
sequences never go back, so nothing changes there.

Each export now records the children its file holds (export_child), so erasure can withdraw
every file holding the child. Files made before did not record it: they expire now, and the
export clock deletes them (core.exports.Jobs.tick).

Revision ID: 0012
Revises: 0011
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows are numbered (concern was made with AUTOINCREMENT in 0011).
NUMBERED = (
    "staff",
    "young_person",
    "trusted_contact",
    "conversation_run",
    "answer",
    "callback_request",
    "check_in",
    "outbox_message",
    "export_job",
    "reply",
    "alert",
    "alert_step",
    "staff_notice",
    "audit_entry",
)


def upgrade() -> None:
    op.create_table(
        "export_child",
        sa.Column("export_job_id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["export_job_id"], ["export_job.id"]),
        sa.ForeignKeyConstraint(["young_person_id"], ["young_person.id"]),
        sa.PrimaryKeyConstraint("export_job_id", "young_person_id"),
    )
    with op.batch_alter_table("export_child", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_child_young_person_id"), ["young_person_id"])
    # Nobody knows which children an older file holds, so none can be withdrawn: they expire.
    op.execute("UPDATE export_job SET status = 'expired' WHERE status = 'done'")
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    for table in NUMBERED:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    _children_start_after_every_id_seen(connection)


def _children_start_after_every_id_seen(connection: sa.Connection) -> None:
    """The copy starts numbering after the highest child left; a child erased before now may
    have had a higher id, still named in the audit log or in a reply's chosen group. The next
    child starts after all of them."""
    seen = [
        connection.exec_driver_sql("SELECT max(id) FROM young_person").scalar(),
        connection.exec_driver_sql("SELECT max(young_person_id) FROM audit_entry").scalar(),
    ]
    for (detail,) in connection.exec_driver_sql(
        "SELECT detail FROM audit_entry WHERE action = 'child.erase'"
    ):
        seen.append((_loaded(detail) or {}).get("child"))
    for (child_ids,) in connection.exec_driver_sql("SELECT child_ids FROM reply"):
        seen.extend(_loaded(child_ids) or [])
    highest = max((int(n) for n in seen if isinstance(n, int)), default=0)
    connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'young_person'")
    connection.exec_driver_sql(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('young_person', ?)", (highest,)
    )


def _loaded(value: object) -> Any:
    """A JSON column as SQLite hands it back (text), or already read."""
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    """AUTOINCREMENT stays: it only ever keeps an id from being handed out twice."""
    op.drop_table("export_child")
