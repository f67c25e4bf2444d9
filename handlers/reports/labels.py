"""The words cards, DMs and surfaces of the closed loop are made of, for one reader."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, listed, plain, safe, text
from bot.reports import closure, timeline
from storage.models import (
    ActionStatus,
    Location,
    Person,
    Report,
    ReportKind,
    ReportStatus,
    RiskLevel,
    Standard,
)

KIND_EMOJI = {"hazard": ":warning:", "near_miss": ":eyes:", "incident": ":ambulance:",
              "environmental": ":droplet:", "defect": ":mag:"}


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


def file_links(files: list[dict[str, Any]]) -> Markup:
    """Slack file permalinks from a form, as links; anything that is not an https link is left out."""
    links = [mrkdwn.link(f["permalink"], f.get("name") or "photo") for f in files
             if str(f.get("permalink", "")).startswith("https://") and not any(c in f["permalink"] for c in "<>| ")]
    return safe(" · ".join(links))


def mention_of(session: Session, person_id: int | None) -> Markup | None:
    slack_id = session.scalar(select(Person.slack_user_id).where(Person.id == person_id)) if person_id else None
    return safe(mrkdwn.mention(slack_id)) if slack_id else None


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



def channel_of(report: Report, reader: Reader) -> Markup:
    """Where the report is discussed; a report waiting for a triage channel says so."""
    return safe(mrkdwn.channel(report.channel_id)) if report.channel_id else text(reader, "setup.not_chosen")
