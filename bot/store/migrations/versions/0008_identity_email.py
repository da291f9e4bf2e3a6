"""A person's email on conversations and tickets: one identity across channels.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("conversations", "tickets"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("email", sa.String(320), nullable=True))
            batch.create_index(f"ix_{table}_email", ["email"])


def downgrade() -> None:
    for table in ("conversations", "tickets"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_email")
            batch.drop_column("email")
