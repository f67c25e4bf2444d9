"""Set-up in Slack: workspace admins, reports waiting for a triage channel, locations in a department

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def _has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        # users.info is_admin / is_owner: Triad admins while the organisation names none.
        batch_op.add_column(sa.Column("slack_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("report", schema=None) as batch_op:
        # NULL: filed from a DM before any triage channel was chosen; posted once one is.
        batch_op.alter_column("channel_id", existing_type=sa.String(length=32), nullable=True)
    if not _has_column("location", "department_id"):  # another change may have added it already
        with op.batch_alter_table("location", schema=None) as batch_op:
            batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key("fk_location_department_id_department", "department", ["department_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_constraint("fk_location_department_id_department", type_="foreignkey")
        batch_op.drop_column("department_id")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("slack_admin")
