"""Outbox lanes: messages of one channel go in order, and each channel and method is paced

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index("ix_outbox_lane", ["status", "lane", "id", "next_attempt_at", "claimed_until"], unique=False)
    # Messages already owed: a post or an ephemeral goes in its channel's lane, a Home in its owner's,
    # an update in the lane of the message it updates.
    op.execute("UPDATE outbox_message SET lane = COALESCE(channel, '') WHERE operation IN ('post', 'ephemeral')")
    op.execute("UPDATE outbox_message SET lane = 'home:' || COALESCE(\"user\", '') WHERE operation = 'home'")
    op.execute("UPDATE outbox_message SET lane = COALESCE((SELECT t.lane FROM outbox_message AS t "
               "WHERE t.key = outbox_message.target_key), '') WHERE operation = 'update'")
    op.create_table(
        "outbox_lane",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("open_at", storage.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_lane")),
    )


def downgrade() -> None:
    op.drop_table("outbox_lane")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_lane")
        batch_op.drop_column("lane")
