"""Controlled procedures: the question bank, procedures and their versions, check questions, acknowledgments;
where a person works (their site)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = storage.models.base.UtcDateTime


def _tenant() -> sa.Column[int]:
    return sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False, index=True)


def _status(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_person_site_id_site", "site", ["site_id"], ["id"])
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("topic", sa.String(64)),
        sa.Column("prompt_en", sa.Text(), nullable=False),
        sa.Column("prompt_zh", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("explanation_en", sa.Text(), nullable=False),
        sa.Column("explanation_zh", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
    )
    op.create_table(
        "procedure",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.UniqueConstraint("organisation_id", "code", name="uq_procedure_organisation_id"),
    )
    op.create_table(
        "procedure_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("procedure_id", sa.Integer(), sa.ForeignKey("procedure.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("status", _status("procedure_status", "draft", "published", "superseded", "retired"),
                  nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("standards", sa.JSON(), nullable=False),
        sa.Column("clauses", sa.String(200)),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("document_url", sa.String(500)),
        sa.Column("document_file", sa.JSON()),
        sa.Column("change_note_en", sa.Text()),
        sa.Column("change_note_zh", sa.Text()),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("review_by", sa.Date()),
        sa.Column("renew_months", sa.Integer()),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.Integer()),
        sa.Column("published_at", UTC()),
        sa.Column("published_by", sa.Integer()),
        sa.Column("retired_at", UTC()),
        sa.UniqueConstraint("procedure_id", "version", name="uq_procedure_version_procedure_id"),
    )
    op.create_index("ix_procedure_version_status", "procedure_version", ["status"])
    op.create_table(
        "procedure_question",
        _tenant(),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("procedure_version.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("question.id"), nullable=False),
    )
    op.create_table(
        "acknowledgment",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("procedure_id", sa.Integer(), sa.ForeignKey("procedure.id", ondelete="CASCADE"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("procedure_version.id"), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("status", _status("ack_status", "pending", "acknowledged"), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("assigned_at", UTC(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_at", UTC()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_try", sa.Boolean()),
        sa.Column("acknowledged_at", UTC()),
        sa.Column("acknowledged_version_id", sa.Integer(), sa.ForeignKey("procedure_version.id")),
        sa.Column("evidence_id", sa.Integer()),
        sa.Column("renew_on", sa.Date()),
        sa.Column("card_key", sa.String(200)),
        sa.UniqueConstraint("procedure_id", "person_id", name="uq_acknowledgment_procedure_id"),
    )
    op.create_index("ix_acknowledgment_coverage", "acknowledgment", ["procedure_id", "required", "status"])
    op.create_index("ix_acknowledgment_person", "acknowledgment", ["person_id", "status"])


def downgrade() -> None:
    for table in ("acknowledgment", "procedure_question", "procedure_version", "procedure", "question"):
        op.drop_table(table)
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint("fk_person_site_id_site", type_="foreignkey")
        batch.drop_column("site_id")
