"""Chat threads mapped to conversations (channel_threads) and requests taken in once
(channel_receipts), for the Slack connector and the chat connectors after it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_threads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("thread_key", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64), nullable=False),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id"),
            nullable=False,
            unique=True,
            index=True,
        ),
        sa.Column("delivered_seq", sa.Integer, nullable=False),
        sa.Column("claimed_seq", sa.Integer, nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("service_url", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "team", "address", "thread_key", name="uq_channel_threads"),
    )
    op.create_table(
        "channel_receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.UniqueConstraint("channel", "key", name="uq_channel_receipts"),
    )


def downgrade() -> None:
    op.drop_table("channel_receipts")
    op.drop_table("channel_threads")
