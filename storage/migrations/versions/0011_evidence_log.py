"""The evidence log: the reports' timelines and the permission decisions become one append-only log, each entry
sealed into a hash chain per workspace; on PostgreSQL the log refuses UPDATE, DELETE and TRUNCATE.

Timeline entries keep their ids (cards and reminders name them); decisions follow them. The history there was is
sealed here, in id order, as the chain's beginning: the chain can vouch for it only from today.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
import json
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.chain import GENESIS, content_hash, link_hash
from storage.models.base import UtcDateTime
from storage.models.evidence import APPEND_ONLY_FUNCTION, append_only_trigger

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BACKDATED_AFTER_SECONDS = 7 * 24 * 3600  # bot/evidence/log.py's BACKDATED_AFTER, as it was


def upgrade() -> None:
    op.create_table(
        "evidence_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("written_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("stated_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("domain", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_evidence_entry_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_entry"),
    )
    op.create_index("ix_evidence_entry_organisation_id", "evidence_entry", ["organisation_id"])
    op.create_index("ix_evidence_entry_report", "evidence_entry", ["report_id", "id"])
    op.create_index("ix_evidence_entry_written", "evidence_entry", ["organisation_id", "written_at"])
    op.create_table(
        "evidence_seal",
        sa.Column("entry_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_evidence_seal_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("entry_id", name="pk_evidence_seal"),
        sa.UniqueConstraint("organisation_id", "seq", name="uq_evidence_seal_organisation_id"),
    )
    op.create_index("ix_evidence_seal_organisation_id", "evidence_seal", ["organisation_id"])
    op.create_table(
        "evidence_head",
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_evidence_head_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_evidence_head"),
    )
    conn = op.get_bind()
    entries = _timeline_entries(conn) + _decisions(conn)
    if entries:
        first_decision = max(e["id"] for e in entries if e["domain"] == "reports") if any(
            e["domain"] == "reports" for e in entries) else 0
        for e in entries:  # decisions are numbered after the timeline's entries, in their order
            if e["id"] is None:
                first_decision += 1
                e["id"] = first_decision
        conn.execute(sa.insert(_entry_table()), entries)
        _seal_history(conn, entries)
    op.drop_table("report_event")
    op.drop_table("audit_entry")
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('evidence_entry', 'id'), "
                             "COALESCE((SELECT max(id) FROM evidence_entry), 0) + 1, false)"))
        conn.execute(sa.text(APPEND_ONLY_FUNCTION))
        for table in ("evidence_entry", "evidence_seal"):
            conn.execute(sa.text(append_only_trigger(table)))


def _entry_table() -> sa.TableClause:
    return sa.table("evidence_entry", sa.column("id", sa.Integer()), sa.column("organisation_id", sa.Integer()),
                    sa.column("written_at", UtcDateTime()), sa.column("stated_at", UtcDateTime()),
                    sa.column("backdated", sa.Boolean()), sa.column("actor_id", sa.Integer()),
                    sa.column("domain", sa.String()), sa.column("kind", sa.String()),
                    sa.column("subject", sa.String()), sa.column("report_id", sa.Integer()),
                    sa.column("action_id", sa.Integer()), sa.column("corrects_id", sa.Integer()),
                    sa.column("detail", sa.JSON()))


def _timeline_entries(conn: sa.Connection) -> list[dict[str, Any]]:
    event = sa.table("report_event", sa.column("id", sa.Integer()), sa.column("organisation_id", sa.Integer()),
                     sa.column("report_id", sa.Integer()), sa.column("action_id", sa.Integer()),
                     sa.column("at", UtcDateTime()), sa.column("actor_id", sa.Integer()),
                     sa.column("kind", sa.String()), sa.column("detail", sa.JSON()))
    report = sa.table("report", sa.column("id", sa.Integer()), sa.column("reference", sa.String()),
                      sa.column("occurred_at", UtcDateTime()))
    rows = conn.execute(sa.select(event, report.c.reference, report.c.occurred_at)
                        .join(report, report.c.id == event.c.report_id).order_by(event.c.id)).mappings()
    found = []
    for row in rows:
        stated = row["occurred_at"] if row["kind"] == "filed" else None
        found.append({
            "id": row["id"], "organisation_id": row["organisation_id"], "written_at": row["at"], "stated_at": stated,
            "backdated": stated is not None and (row["at"] - stated).total_seconds() > BACKDATED_AFTER_SECONDS,
            "actor_id": row["actor_id"], "domain": "reports", "kind": row["kind"], "subject": row["reference"],
            "report_id": row["report_id"], "action_id": row["action_id"], "corrects_id": None,
            "detail": row["detail"] or {}})
    return found


def _decisions(conn: sa.Connection) -> list[dict[str, Any]]:
    audit = sa.table("audit_entry", sa.column("id", sa.Integer()), sa.column("organisation_id", sa.Integer()),
                     sa.column("at", UtcDateTime()), sa.column("actor_id", sa.Integer()),
                     sa.column("action", sa.String()), sa.column("subject", sa.String()),
                     sa.column("allowed", sa.Boolean()), sa.column("detail", sa.Text()))
    found = []
    for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings():
        common = {"id": None, "organisation_id": row["organisation_id"], "written_at": row["at"], "stated_at": None,
                  "backdated": False, "actor_id": row["actor_id"], "subject": row["subject"], "report_id": None,
                  "action_id": None, "corrects_id": None}
        action: str = row["action"]
        if action.endswith(".saved"):  # a save (set-up, an organisation file), with the values saved
            found.append({**common, "domain": "org", "kind": action.removesuffix(".saved"),
                          "detail": json.loads(row["detail"] or "{}")})
        else:
            found.append({**common, "domain": "access", "kind": "allowed" if row["allowed"] else "refused",
                          "detail": {"step": action, **({"detail": row["detail"]} if row["detail"] else {})}})
    return found


def _seal_history(conn: sa.Connection, entries: list[dict[str, Any]]) -> None:
    heads: dict[int, tuple[int, str]] = {}
    seals = []
    for e in sorted(entries, key=lambda e: e["id"]):
        seq, last = heads.get(e["organisation_id"], (0, GENESIS))
        entry_hash = content_hash(SimpleNamespace(**e))  # type: ignore[arg-type]
        seq, hashed = seq + 1, link_hash(seq + 1, last, entry_hash)
        seals.append({"entry_id": e["id"], "organisation_id": e["organisation_id"], "seq": seq,
                      "content_hash": entry_hash, "prev_hash": last, "hash": hashed})
        heads[e["organisation_id"]] = (seq, hashed)
    seal = sa.table("evidence_seal", *(sa.column(c) for c in (
        "entry_id", "organisation_id", "seq", "content_hash", "prev_hash", "hash")))
    head = sa.table("evidence_head", sa.column("organisation_id"), sa.column("seq"), sa.column("hash"))
    conn.execute(sa.insert(seal), seals)
    conn.execute(sa.insert(head), [{"organisation_id": o, "seq": s, "hash": h} for o, (s, h) in heads.items()])


def downgrade() -> None:
    """Back to a timeline and a table of decisions; the chain is dropped (the entries keep their words)."""
    conn = op.get_bind()
    op.create_table(
        "report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["corrective_action.id"],
                                name="fk_report_event_action_id_corrective_action"),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name="fk_report_event_actor_id_person"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_report_event_report_id_report",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_report_event_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_report_event"),
    )
    op.create_index("ix_report_event_report", "report_event", ["report_id", "id"])
    op.create_index("ix_report_event_organisation_id", "report_event", ["organisation_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name="fk_audit_entry_actor_id_person"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_audit_entry_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entry"),
    )
    op.create_index("ix_audit_subject", "audit_entry", ["subject"])
    op.create_index("ix_audit_entry_organisation_id", "audit_entry", ["organisation_id"])
    entry = _entry_table()
    timeline, decisions = [], []
    for row in conn.execute(sa.select(entry).order_by(entry.c.id)).mappings():
        if row["domain"] == "reports":
            timeline.append({"id": row["id"], "organisation_id": row["organisation_id"],
                             "report_id": row["report_id"], "action_id": row["action_id"], "at": row["written_at"],
                             "actor_id": row["actor_id"], "kind": row["kind"], "detail": row["detail"]})
        elif row["domain"] in ("access", "org"):
            detail = row["detail"] or {}
            saved = row["domain"] == "org"
            decisions.append({
                "organisation_id": row["organisation_id"], "at": row["written_at"], "actor_id": row["actor_id"],
                "action": f"{row['kind']}.saved" if saved else detail.get("step", row["kind"]),
                "subject": row["subject"], "allowed": saved or row["kind"] == "allowed",
                "detail": json.dumps(detail, ensure_ascii=False) if saved else detail.get("detail")})
    if timeline:
        conn.execute(sa.insert(sa.table("report_event", *(sa.column(c) for c in (
            "id", "organisation_id", "report_id", "action_id", "actor_id", "kind")),
            sa.column("at", UtcDateTime()), sa.column("detail", sa.JSON()))), timeline)
    if decisions:
        conn.execute(sa.insert(sa.table("audit_entry", *(sa.column(c) for c in (
            "organisation_id", "actor_id", "action", "subject", "allowed", "detail")),
            sa.column("at", UtcDateTime()))), decisions)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('report_event', 'id'), "
                             "COALESCE((SELECT max(id) FROM report_event), 0) + 1, false)"))
    op.drop_table("evidence_head")
    op.drop_table("evidence_seal")
    op.drop_table("evidence_entry")
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP FUNCTION IF EXISTS evidence_append_only()"))
