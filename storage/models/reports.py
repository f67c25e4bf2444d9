"""Reports and the closed loop: the report, its standards, its append-only timeline, its corrective actions."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Tenant
from storage.models.org import Standard, _enum


class ReportKind(str, enum.Enum):
    HAZARD = "hazard"
    NEAR_MISS = "near_miss"
    INCIDENT = "incident"
    ENVIRONMENTAL = "environmental"
    DEFECT = "defect"


class ReportStatus(str, enum.Enum):
    NEW = "new"  # filed, nobody has looked yet
    TRIAGE = "triage"  # acknowledged, being assessed
    ACTION = "action"  # corrective actions under way
    CLOSING = "closing"  # every action verified; waiting for a root cause or sign-offs
    CLOSED = "closed"
    REJECTED = "rejected"


class RiskLevel(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class InjuryClass(str, enum.Enum):
    """The worst outcome for a person, as injury statistics count it (bot/reports/injuries.py)."""

    NONE = "none"  # nobody hurt: property damage, a fire, a release to the environment
    FIRST_AID = "first_aid"
    MEDICAL_TREATMENT = "medical_treatment"
    RESTRICTED_WORK = "restricted_work"
    LOST_TIME = "lost_time"
    FATALITY = "fatality"


class ActionType(str, enum.Enum):
    CONTAINMENT = "containment"
    CORRECTION = "correction"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


class ControlLevel(str, enum.Enum):
    """The hierarchy of controls (ISO 45001 8.1.2), most effective first."""

    ELIMINATION = "elimination"
    SUBSTITUTION = "substitution"
    ENGINEERING = "engineering"
    ADMINISTRATIVE = "administrative"
    PPE = "ppe"


class ActionStatus(str, enum.Enum):
    OPEN = "open"
    DONE = "done"  # evidence given, waiting for the verifier
    VERIFIED = "verified"
    DECLINED = "declined"  # the owner cannot do it: triage assigns another


class Report(Tenant, Base):
    __tablename__ = "report"
    __table_args__ = (Index("ix_report_status", "status"), UniqueConstraint("organisation_id", "reference"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20))  # HZ-2026-0042, one per workspace
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind, "report_kind"))
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, "report_status"))
    description: Mapped[str] = mapped_column(Text)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    place: Mapped[str | None] = mapped_column(String(300))  # free words for "where"
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    occurred_at: Mapped[datetime | None]
    immediate_action: Mapped[str | None] = mapped_column(Text)
    severity_estimate: Mapped[RiskLevel | None] = mapped_column(_enum(RiskLevel, "risk_level"))
    injury_class: Mapped[InjuryClass | None] = mapped_column(_enum(InjuryClass, "injury_class"))
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # Slack files: id, name, permalink
    source_link: Mapped[str | None] = mapped_column(String(500))  # the Slack message it was reported from
    # Idempotency: the modal's view id (or the DM it came from), so a double submit files once.
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    # NULL when anonymous: then nothing here, or anywhere, says who reported.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    follow_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Where the report card is posted; None while it waits for the admins to choose a triage channel.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    # The timeline entry that posted the card where it is now (a transfer to another channel); NULL: the filing.
    card_entry_id: Mapped[int | None]
    likelihood: Mapped[int | None]
    severity: Mapped[int | None]
    risk_level: Mapped[RiskLevel | None] = mapped_column(_enum(RiskLevel, "risk_level"))
    residual_likelihood: Mapped[int | None]
    residual_severity: Mapped[int | None]
    residual_risk_level: Mapped[RiskLevel | None] = mapped_column(_enum(RiskLevel, "risk_level"))
    root_cause_whys: Mapped[list[str] | None] = mapped_column(JSON)
    root_cause: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    # Effectiveness checked again at a later date, by someone, who is asked when it is due.
    effectiveness_check_on: Mapped[date | None]
    effectiveness_checker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    rejection: Mapped[str | None] = mapped_column(String(20))  # not_an_issue | duplicate
    duplicate_of: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    standards: Mapped[list[ReportStandard]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportStandard.standard")
    actions: Mapped[list[CorrectiveAction]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="CorrectiveAction.number")


class ReportStandard(Tenant, Base):
    """A standard the report is tagged to; its owner signs off when several are tagged."""

    __tablename__ = "report_standard"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    standard: Mapped[Standard] = mapped_column(_enum(Standard, "standard"), primary_key=True)
    signed_off_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    signed_off_at: Mapped[datetime | None]

    report: Mapped[Report] = relationship(back_populates="standards")


class CorrectiveAction(Tenant, Base):
    __tablename__ = "corrective_action"
    __table_args__ = (Index("ix_corrective_action_owner", "owner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, … within the report: HZ-2026-0042/2
    type: Mapped[ActionType] = mapped_column(_enum(ActionType, "action_type"))
    control_level: Mapped[ControlLevel | None] = mapped_column(_enum(ControlLevel, "control_level"))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    verifier_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    assigned_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus, "action_status"))
    due_on: Mapped[date]
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # "Need more time" on a high or critical risk waits for the supervisor's approval.
    requested_due_on: Mapped[date | None]
    requested_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]

    # An action is always shown with its report's reference (HZ-2026-0042/2): load them together.
    report: Mapped[Report] = relationship(back_populates="actions", lazy="joined", innerjoin=True)


class FollowUp(Tenant, Base):
    """How far a chain of reminders and escalations has got (bot/followups.py), by the chain's key."""

    __tablename__ = "follow_up"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    stage: Mapped[int]  # the last stage sent (0 = the first)
    sent_at: Mapped[datetime]  # when it was due: the next stage's time counts from here
    # The report the chain is about (an action's: its report), so its rows go when the report settles.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)


class ReferenceCounter(Tenant, Base):
    """The last number handed out per workspace, kind and year (HZ-2026-0042)."""

    __tablename__ = "reference_counter"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)

    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind, "report_kind"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
