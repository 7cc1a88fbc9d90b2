"""children's own words encrypted at rest

Revision ID: 0007
Revises: 0006

Free text, voice-note references and trusted adults' names were plain text; from here they
are sealed with the key from settings (core/crypto.py). Rows already there are sealed now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core import crypto

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, key column, sealed column)
SEALED = [
    ("answer", "id", "text"),
    ("answer", "id", "voice_file_id"),
    ("trusted_contact", "id", "name"),
]


def upgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.alter_column("voice_file_id", type_=sa.Text(), existing_type=sa.String(200))
    with op.batch_alter_table("trusted_contact") as batch:
        batch.alter_column("name", type_=sa.Text(), existing_type=sa.String(40))
    connection = op.get_bind()
    for table, key, column in SEALED:
        rows = connection.execute(
            sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        for row_id, plain in rows:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :sealed WHERE {key} = :id"),
                {"sealed": crypto.seal(plain), "id": row_id},
            )


def downgrade() -> None:
    connection = op.get_bind()
    for table, key, column in SEALED:
        rows = connection.execute(
            sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        for row_id, sealed in rows:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :plain WHERE {key} = :id"),
                {"plain": crypto.unseal(sealed), "id": row_id},
            )
