"""Controlled procedures (ISO 9001/14001/45001 7.5, 7.3): versioned documents, the check questions they carry,
and who must acknowledge which version.

A procedure is its code; what people read is one of its versions. Only one version of a code is in force
(published) at a time; the ones before it are superseded and stay readable for the record.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Tenant
from storage.models.org import _enum
from storage.models.questions import Question


class ProcedureStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"  # in force: the one version of its code people must read
    SUPERSEDED = "superseded"  # replaced by a later version; readable for the record
    RETIRED = "retired"  # withdrawn with no successor


class AckStatus(str, enum.Enum):
    PENDING = "pending"  # owed: the card is out, reminders follow
    ACKNOWLEDGED = "acknowledged"


class Procedure(Tenant, Base):
    """A code (SOP-EHS-007) and its owner; its versions carry everything else."""

    __tablename__ = "procedure"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]

    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="ProcedureVersion.id")


class ProcedureVersion(Tenant, Base):
    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("procedure_id", "version"), Index("ix_procedure_version_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(16))  # 3.0, 3.1
    status: Mapped[ProcedureStatus] = mapped_column(_enum(ProcedureStatus, "procedure_status"))
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    summary_en: Mapped[str] = mapped_column(Text)  # the readable core a worker sees in Slack, a few lines
    summary_zh: Mapped[str] = mapped_column(Text)
    standards: Mapped[list[str]] = mapped_column(JSON, default=list)  # Standard values
    clauses: Mapped[str | None] = mapped_column(String(200))  # e.g. "ISO 45001 8.1.2; ISO 14001 8.2"
    # Who must read it: {"everyone": true} or departments / roles / sites codes, any of which admits a person.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document_url: Mapped[str | None] = mapped_column(String(500))
    document_file: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a Slack file: id, name, permalink
    change_note_en: Mapped[str | None] = mapped_column(Text)
    change_note_zh: Mapped[str | None] = mapped_column(Text)
    major: Mapped[bool] = mapped_column(default=True)  # everyone re-acknowledges (a first version always is)
    effective_on: Mapped[date]
    review_by: Mapped[date | None]
    renew_months: Mapped[int | None]  # re-acknowledged every N months; None: once per major version
    deadline_days: Mapped[int] = mapped_column(default=14)  # from when a person is asked
    content_hash: Mapped[str | None] = mapped_column(String(64))  # set when published: what was acknowledged
    created_at: Mapped[datetime]
    created_by: Mapped[int | None]
    published_at: Mapped[datetime | None]
    published_by: Mapped[int | None]
    retired_at: Mapped[datetime | None]

    procedure: Mapped[Procedure] = relationship(back_populates="versions", lazy="joined", innerjoin=True)
    checks: Mapped[list[ProcedureQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="ProcedureQuestion.position", lazy="selectin")

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def summary(self, lang: str) -> str:
        return self.summary_zh if lang == "zh" else self.summary_en

    def change_note(self, lang: str) -> str | None:
        return (self.change_note_zh or self.change_note_en) if lang == "zh" else self.change_note_en

    @property
    def questions(self) -> list[Question]:
        return [c.question for c in self.checks]


class ProcedureQuestion(Tenant, Base):
    """A check question of a version, from the question bank (storage/models/questions.py)."""

    __tablename__ = "procedure_question"

    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))

    question: Mapped[Question] = relationship(lazy="joined", innerjoin=True)


class Acknowledgment(Tenant, Base):
    """What one person owes, or has given, for one procedure: one row per procedure and person.

    ``required``: the person is in the audience of the version in force (someone who moved out keeps the row,
    not counted). ``status`` pending: ``version_id`` is owed by ``due_on``; acknowledged: ``version_id`` was read
    and understood (its evidence entry is ``evidence_id``). A major revision or a renewal makes it pending again;
    ``acknowledged_version_id`` remembers the last one read, so the card can show what changed since.
    """

    __tablename__ = "acknowledgment"
    __table_args__ = (UniqueConstraint("procedure_id", "person_id"),
                      Index("ix_acknowledgment_coverage", "procedure_id", "required", "status"),
                      Index("ix_acknowledgment_person", "person_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"))
    required: Mapped[bool] = mapped_column(default=True)
    status: Mapped[AckStatus] = mapped_column(_enum(AckStatus, "ack_status"))
    reason: Mapped[str] = mapped_column(String(20))  # published | revised | joined | moved | renewal
    assigned_at: Mapped[datetime]
    due_on: Mapped[date]
    opened_at: Mapped[datetime | None]  # the document, for the version owed
    attempts: Mapped[int] = mapped_column(default=0)  # check answers sent for the version owed
    first_try: Mapped[bool | None]  # the check passed at the first attempt (None: no check)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_version.id"))
    evidence_id: Mapped[int | None]
    renew_on: Mapped[date | None]
    card_key: Mapped[str | None] = mapped_column(String(200))  # the outbox key of the card last sent for it

    procedure: Mapped[Procedure] = relationship()
    version: Mapped[ProcedureVersion] = relationship(foreign_keys=[version_id])
