"""The words the closed loop's messages are made of, for one reader: risk, standards, place, status, who
and where. The messages themselves are built in handlers/reports/cards.py; the reminders bot/reports
still sends are made of these too.
"""
from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, listed, plain, safe, text
from bot.reports import closure, timeline
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    Location,
    Person,
    Report,
    ReportKind,
    ReportStatus,
    RiskLevel,
    Standard,
)

# --- small pieces ------------------------------------------------------------------------------------

def risk_label(reader: Reader, level: RiskLevel | None, likelihood: int | None, severity: int | None,
               kind: ReportKind | None = None) -> str:
    """The risk grade with its score; a quality defect's severity also in quality words."""
    if level is None:
        return plain(reader, "reports.risk.none")
    nonconformity = plain(reader, f"reports.nonconformity.{severity}") if kind == ReportKind.DEFECT else None
    return plain(reader, "reports.risk.with_score", level=plain(reader, f"reports.risk.{level.value}"),
                 likelihood=likelihood, severity=severity, nonconformity=nonconformity)


def standards_label(reader: Reader, standards: list[Standard] | tuple[Standard, ...]) -> str:
    return (listed(reader, (plain(reader, f"common.standard_short.{s.value}") for s in standards))
            or plain(reader, "common.none"))


def place_label(session: Session, location_id: int | None, place: str | None, reader: Reader) -> str:
    location = session.get(Location, location_id) if location_id else None
    parts = [f"{location.site.name(reader.lang)} · {location.name(reader.lang)}" if location else None, place]
    return " · ".join(p for p in parts if p) or plain(reader, "reports.unknown_place")


def whole(report: Report) -> Markup:
    """Where a report's whole texts are, for a line that shows part of one."""
    return safe(f"`/report status {report.reference}`")


def action_subject(action: CorrectiveAction) -> str:
    return f"{action.report.reference}/{action.number}"


def mention_of(session: Session, person_id: int | None) -> Markup | None:
    slack_id = session.scalar(select(Person.slack_user_id).where(Person.id == person_id)) if person_id else None
    return safe(mrkdwn.mention(slack_id)) if slack_id else None


# --- the report card -----------------------------------------------------------------------------------

def status_line(session: Session, report: Report, reader: Reader) -> Markup:
    live = [a for a in report.actions if a.status != ActionStatus.DECLINED]
    verified = sum(a.status == ActionStatus.VERIFIED for a in live)
    missing = timeline.missing_text(reader, [(gap, standard.value if standard else None)
                                             for gap, standard in closure.gaps(report)])
    line = text(reader, f"reports.status.{report.status.value}", verified=verified, actions=len(live),
                missing=missing,
                rejection=plain(reader, f"reports.rejection.{report.rejection}") if report.rejection else "",
                duplicate_of=report.duplicate_of or "")
    if report.escalated_at and report.status in (ReportStatus.NEW, ReportStatus.TRIAGE, ReportStatus.ACTION,
                                                 ReportStatus.CLOSING):
        line = safe(f"{line} · {text(reader, 'reports.status.escalated')}")
    return line


# --- actions -----------------------------------------------------------------------------------------

def channel_of(report: Report, reader: Reader) -> Markup:
    """Where the report is discussed; a report waiting for a triage channel says so."""
    return safe(mrkdwn.channel(report.channel_id)) if report.channel_id else text(reader, "setup.not_chosen")
