"""Typed ORM models. Importing this package registers every table on ``Base.metadata``."""
from storage.models import installs  # noqa: F401 - the installation store's tables, on Base.metadata
from storage.models.base import Base
from storage.models.evidence import EvidenceEntry, EvidenceHead, EvidenceSeal
from storage.models.org import Department, Location, Organisation, Person, Role, RoleAssignment, Site, Standard
from storage.models.platform import AppSetting, OutboxLane, OutboxMessage, ProcessedEvent, SchedulerLease
from storage.models.procedures import (
    Acknowledgment,
    AckStatus,
    Procedure,
    ProcedureQuestion,
    ProcedureStatus,
    ProcedureVersion,
)
from storage.models.questions import Question
from storage.models.reports import (
    ActionStatus,
    ActionType,
    ControlLevel,
    CorrectiveAction,
    FollowUp,
    InjuryClass,
    ReferenceCounter,
    Report,
    ReportKind,
    ReportStandard,
    ReportStatus,
    RiskLevel,
)

__all__ = [
    "AckStatus", "Acknowledgment", "Procedure", "ProcedureQuestion", "ProcedureStatus", "ProcedureVersion",
    "Question",
    "ActionStatus", "ActionType", "AppSetting", "Base", "ControlLevel", "CorrectiveAction", "Department",
    "EvidenceEntry", "EvidenceHead", "EvidenceSeal", "FollowUp", "InjuryClass", "Location", "Organisation",
    "OutboxLane", "OutboxMessage", "Person", "ProcessedEvent", "ReferenceCounter", "Report", "ReportKind",
    "ReportStandard", "ReportStatus", "RiskLevel", "Role", "RoleAssignment", "SchedulerLease", "Site", "Standard",
]
