"""The cards bot/reports/notify.py sends (the report card, the action owner's and the verifier's DMs),
rendered for one reader from prompts/blocks/*.yml.j2, and the words they and the reminders are made of.

They move to handlers/reports/cards.py, beside the timeline and the DM draft card, once the Slack side
turns what happened into messages.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, listed, plain, render, safe, shortened, text
from bot.reports import closure, injuries, timeline
from bot.reports.values import ActionRef, ReportRef
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    Department,
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


def card_buttons(report: Report) -> list[dict[str, Any]]:
    """The triage buttons that make sense in the report's state (the server checks again on press)."""
    s = report.status
    if s == ReportStatus.REJECTED:
        return [{"action_id": "report_reopen", "label": "reports.button.reopen_report",
                 "confirm": "reports.confirm.reopen"},
                {"action_id": "report_timeline", "label": "reports.button.timeline"}]
    if s == ReportStatus.CLOSED:
        return [{"action_id": "report_schedule_check", "label": "reports.button.schedule_check"},
                {"action_id": "report_timeline", "label": "reports.button.timeline"}]
    buttons = []
    if s == ReportStatus.NEW:
        buttons.append({"action_id": "report_acknowledge", "label": "reports.button.acknowledge", "style": "primary"})
    if s == ReportStatus.CLOSING and closure.only_sign_offs(report):
        buttons.append({"action_id": "report_sign_off", "label": "reports.button.sign_off", "style": "primary",
                        "confirm": "reports.confirm.sign_off"})
    if not (s == ReportStatus.CLOSING and closure.only_sign_offs(report)):  # fully verified: nothing to assess
        buttons += [{"action_id": "report_assess", "label": "reports.button.assess"},
                    {"action_id": "report_assign", "label": "reports.button.assign"}]
    buttons.append({"action_id": "report_root_cause", "label": "reports.button.root_cause"})
    if s in (ReportStatus.NEW, ReportStatus.TRIAGE):
        buttons.append({"action_id": "report_reject", "label": "reports.button.reject", "style": "danger"})
    if report.escalated_at is None:
        buttons.append({"action_id": "report_escalate", "label": "reports.button.escalate",
                        "confirm": "reports.confirm.escalate"})
    buttons.append({"action_id": "report_reclassify", "label": "reports.button.reclassify"})
    buttons += [{"action_id": "report_ask", "label": "reports.button.ask"},
                {"action_id": "report_timeline", "label": "reports.button.timeline"}]
    return buttons


def report_card(session: Session, report: Report, reader: Reader) -> dict[str, Any]:
    department = session.get(Department, report.department_id) if report.department_id else None
    reporter = (text(reader, "reports.anonymous_reporter") if report.anonymous
                else mention_of(session, report.reporter_id))
    fields = [
        text(reader, "reports.card.risk",
             risk=risk_label(reader, report.risk_level, report.likelihood, report.severity, report.kind),
             residual=risk_label(reader, report.residual_risk_level, report.residual_likelihood,
                                 report.residual_severity, report.kind) if report.residual_risk_level else None),
        text(reader, "reports.card.where", place=place_label(session, report.location_id, report.place, reader)),
        text(reader, "reports.card.department", department=department.name(reader.lang) if department
             else plain(reader, "common.none")),
        text(reader, "reports.card.reporter", reporter=reporter or text(reader, "reports.nobody")),
        text(reader, "reports.card.standards",
             standards=standards_label(reader, [t.standard for t in report.standards])),
        text(reader, "reports.card.when", when=report.occurred_at or report.created_at),
    ]
    if report.severity_estimate:
        fields.append(text(reader, "reports.card.estimate",
                           level=plain(reader, f"reports.risk.{report.severity_estimate.value}")))
    if report.injury_class:  # the card is seen by the whole channel: whether someone was hurt, not how
        fields.append(text(reader, "reports.card.injury_restricted") if injuries.someone_hurt(report.injury_class)
                      else text(reader, "reports.card.injury", injury=plain(reader, "reports.injury.none")))
    return render("report_card", reader, report_id=report.id, value=ReportRef(report.id).encode(),
                  reference=report.reference,
                  kind=plain(reader, f"reports.kind.{report.kind.value}"), emoji=KIND_EMOJI[report.kind.value],
                  description=report.description, immediate_action=report.immediate_action,
                  root_cause=report.root_cause, fields=fields, photos=file_links(report.photos),
                  source_link=safe(mrkdwn.link(report.source_link, plain(reader, "reports.card.source")))
                  if report.source_link else None,
                  status=status_line(session, report, reader), buttons=card_buttons(report))


# --- actions -----------------------------------------------------------------------------------------

def channel_of(report: Report, reader: Reader) -> Markup:
    """Where the report is discussed; a report waiting for a triage channel says so."""
    return safe(mrkdwn.channel(report.channel_id)) if report.channel_id else text(reader, "setup.not_chosen")


def action_card(session: Session, action: CorrectiveAction, reader: Reader) -> dict[str, Any]:
    """The owner's DM: what to do by when, and Done / Need more time / Can't do while it is open."""
    return render("action_card", reader, action_id=action.id, value=ActionRef(action.id).encode(),
                  subject=action_subject(action),
                  type=plain(reader, f"reports.action_type.{action.type.value}"),
                  control=(plain(reader, f"reports.control.{action.control_level.value}")
                           if action.control_level else None),
                  due=timeline.due_datetime(action.due_on), description=action.description,
                  report_description=shortened(reader, action.report.description, 300, whole(action.report)),
                  channel=channel_of(action.report, reader),
                  status=action.status.value, is_open=action.status == ActionStatus.OPEN)


def verify_card(session: Session, action: CorrectiveAction, reader: Reader) -> dict[str, Any]:
    return render("verify_card", reader, action_id=action.id, value=ActionRef(action.id).encode(),
                  subject=action_subject(action),
                  awaiting=action.status == ActionStatus.DONE, status=action.status.value,
                  owner=mention_of(session, action.owner_id), description=action.description,
                  note=action.evidence_note, files=file_links(action.evidence_files),
                  channel=channel_of(action.report, reader))
