"""Every tenant row belongs to a workspace (its organisation); codes, Slack ids and references are unique
per workspace. Today's rows move into the first organisation (created with the defaults if there is none).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TENANT_TABLES = ("department", "site", "location", "person", "role_assignment", "report", "report_standard",
                 "report_event", "corrective_action", "follow_up", "reference_counter", "audit_entry",
                 "outbox_message")
# (table, the unique constraint on its own, its columns): now unique within a workspace.
PER_WORKSPACE = (("department", "uq_department_code", ("code",)), ("site", "uq_site_code", ("code",)),
                 ("person", "uq_person_slack_user_id", ("slack_user_id",)),
                 ("report", "uq_report_reference", ("reference",)))


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("team_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("enterprise_id", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_organisation_team_id", ["team_id"])
    conn = op.get_bind()
    first = conn.scalar(sa.text("SELECT min(id) FROM organisation"))
    owned = any(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) for table in TENANT_TABLES)
    if first is None and owned:
        conn.execute(sa.text("INSERT INTO organisation (name, language, timezone) VALUES ('Triad', 'en', 'UTC')"))
        first = conn.scalar(sa.text("SELECT min(id) FROM organisation"))
    for table in TENANT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        if first is not None:
            conn.execute(sa.text(f"UPDATE {table} SET organisation_id = :first"), {"first": first})
        with op.batch_alter_table(table) as batch:
            batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
            if table != "reference_counter":  # its primary key leads with the workspace
                batch.create_index(f"ix_{table}_organisation_id", ["organisation_id"])
            batch.create_foreign_key(f"fk_{table}_organisation_id_organisation", "organisation",
                                     ["organisation_id"], ["id"])
    for table, constraint, columns in PER_WORKSPACE:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="unique")
            batch.create_unique_constraint(f"uq_{table}_organisation_id", ["organisation_id", *columns])
    with op.batch_alter_table("reference_counter") as batch:  # numbered per workspace, kind and year
        batch.drop_constraint("pk_reference_counter", type_="primary")
        batch.create_primary_key("pk_reference_counter", ["organisation_id", "kind", "year"])


def downgrade() -> None:
    """Back to one workspace: only possible while there is one (two plants' codes and numbers would clash)."""
    conn = op.get_bind()
    if conn.scalar(sa.text("SELECT count(*) FROM organisation")) > 1:
        raise RuntimeError("several workspaces are served: their rows cannot go back into one")
    with op.batch_alter_table("reference_counter") as batch:
        batch.drop_constraint("pk_reference_counter", type_="primary")
        batch.create_primary_key("pk_reference_counter", ["kind", "year"])
    for table, constraint, columns in PER_WORKSPACE:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_organisation_id", type_="unique")
            batch.create_unique_constraint(constraint, list(columns))
    for table in TENANT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_organisation_id_organisation", type_="foreignkey")
            if table != "reference_counter":
                batch.drop_index(f"ix_{table}_organisation_id")
            batch.drop_column("organisation_id")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_constraint("uq_organisation_team_id", type_="unique")
        batch.drop_column("enterprise_id")
        batch.drop_column("team_id")
