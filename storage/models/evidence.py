"""The evidence log: every state change Triad makes, append-only, each entry sealed into a hash chain per workspace
(bot/evidence/chain.py). A report's timeline is its entries.

Nothing here references another table but its workspace: an entry outlives whatever it speaks of, and inserting
one takes no lock on the rows it names (the chain's head is locked last, at commit, so sealing never waits in a
cycle with a report or counter lock).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, OfWorkspace, Tenant


class EvidenceEntry(Tenant, Base):
    """Who did what, written when, and (separately) when they say it happened."""

    __tablename__ = "evidence_entry"
    __table_args__ = (Index("ix_evidence_entry_report", "report_id", "id"),
                      Index("ix_evidence_entry_written", "organisation_id", "written_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    written_at: Mapped[datetime]  # the server's time (an anonymous filing's, to the hour: no timing trail)
    stated_at: Mapped[datetime | None]  # when the person says it happened, e.g. an incident's time
    backdated: Mapped[bool] = mapped_column(default=False)  # stated far earlier than written (bot/evidence/log.py)
    actor_id: Mapped[int | None]  # a person's id; NULL: Triad itself, or an anonymous reporter
    domain: Mapped[str] = mapped_column(String(20))  # reports, org, access, evidence, ...
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(64))  # what it is about, in words: HZ-2026-0042
    report_id: Mapped[int | None]
    action_id: Mapped[int | None]
    corrects_id: Mapped[int | None]  # the entry this one corrects: nothing is edited in place
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EvidenceSeal(Tenant, Base):
    """An entry's place in its workspace's chain: ``hash`` covers the previous seal's hash and the entry's content."""

    __tablename__ = "evidence_seal"
    __table_args__ = (UniqueConstraint("organisation_id", "seq"),)

    entry_id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]  # 1, 2, 3, ... per workspace
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EvidenceHead(OfWorkspace, Base):
    """The last seal of a workspace's chain: locked while a commit seals its entries, so seals take turns."""

    __tablename__ = "evidence_head"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


@event.listens_for(EvidenceEntry, "before_update")
@event.listens_for(EvidenceEntry, "before_delete")
@event.listens_for(EvidenceSeal, "before_update")
@event.listens_for(EvidenceSeal, "before_delete")
def _append_only(mapper: Any, connection: Any, target: Any) -> None:
    raise ValueError("the evidence log is append-only: a correction is a new entry")


# On PostgreSQL the database itself refuses to change the log (migration 0011 creates the same).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the evidence log is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def append_only_trigger(table: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only()")


for _table in ("evidence_entry", "evidence_seal"):
    for _ddl in (APPEND_ONLY_FUNCTION, append_only_trigger(_table)):
        event.listen(Base.metadata.tables[_table], "after_create",
                     DDL(_ddl).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
