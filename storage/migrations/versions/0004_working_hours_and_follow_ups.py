"""working hours, follow-up chains, more-time approval, effectiveness checks

Working hours on the organisation, departments and people; the state of each reminder and
escalation chain (follow_up, replacing the overdue action's reminded_on / escalated_on); a
pending "Need more time" request on an action; a later effectiveness check on a report.

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("organisation", "department", "person"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("working_hours", sa.String(length=500), nullable=True))
    op.create_table(
        "follow_up",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("corrective_action") as batch_op:
        batch_op.drop_column("reminded_on")
        batch_op.drop_column("escalated_on")
        batch_op.add_column(sa.Column("requested_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("requested_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("report") as batch_op:
        batch_op.add_column(sa.Column("effectiveness_check_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("effectiveness_checker_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_report_effectiveness_checker_id_person"), "person",
                                    ["effectiveness_checker_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("report") as batch_op:
        batch_op.drop_constraint(op.f("fk_report_effectiveness_checker_id_person"), type_="foreignkey")
        batch_op.drop_column("effectiveness_checker_id")
        batch_op.drop_column("effectiveness_check_on")
    with op.batch_alter_table("corrective_action") as batch_op:
        batch_op.drop_column("requested_reason")
        batch_op.drop_column("requested_due_on")
        batch_op.add_column(sa.Column("escalated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reminded_on", sa.Date(), nullable=True))
    op.drop_table("follow_up")
    for table in ("person", "department", "organisation"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("working_hours")
