"""Each reminder chain's row names its report, so the rows go once what they chase is settled

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_follow_up_report_id"), ["report_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_follow_up_report_id_report"), "report", ["report_id"], ["id"])
    # Chains already running: their keys start "report:<id>:" or "action:<id>:".
    conn = op.get_bind()
    actions: dict[int, int] = {a: r for a, r in conn.execute(sa.text("SELECT id, report_id FROM corrective_action"))}
    for (key,) in conn.execute(sa.text("SELECT key FROM follow_up")).all():
        kind, _, rest = key.partition(":")
        number = rest.partition(":")[0]
        if not number.isdigit():
            continue
        report_id = int(number) if kind == "report" else actions.get(int(number)) if kind == "action" else None
        if report_id is not None:
            conn.execute(sa.text("UPDATE follow_up SET report_id = :r WHERE key = :k"), {"r": report_id, "k": key})


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_follow_up_report_id_report"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_follow_up_report_id"))
        batch_op.drop_column("report_id")
