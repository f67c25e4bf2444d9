"""A report's card can move to another channel (reclassified or transferred after filing)

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        # The timeline entry that posted the card where it is now; NULL: the card posted on filing.
        batch_op.add_column(sa.Column("card_entry_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("card_entry_id")
