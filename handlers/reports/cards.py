"""The messages of the closed loop, rendered for one reader from prompts/blocks/*.yml.j2: the report card, the
action owner's and the verifier's DM cards (sent by notices.py), the timeline, the list of my actions and the
card a DM in plain words is answered with.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, plain, render, safe, shortened, text
from bot.org.people import Actor
from bot.reports import closure, injuries, service, timeline
from bot.reports.kinds import Guess
from bot.reports.references import action_subject
from bot.reports.service import DESCRIPTION_MAX
from bot.reports.values import ActionRef, Draft, ReportRef
from handlers.reports.labels import (
    KIND_EMOJI,
    channel_of,
    file_links,
    mention_of,
    place_label,
    risk_label,
    standards_label,
    status_line,
    whole,
)
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    Department,
    Report,
    ReportKind,
    ReportStatus,
)

# --- the report card -----------------------------------------------------------------------------------

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


# --- the action owner's and the verifier's cards ----------------------------------------------------

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


# --- actions -----------------------------------------------------------------------------------------

def action_list(session: Session, reader: Reader, mine: list[CorrectiveAction], to_verify: list[CorrectiveAction],
                today: date) -> dict[str, Any]:
    def line(a: CorrectiveAction) -> dict[str, Any]:
        return {"value": ActionRef(a.id).encode(), "subject": action_subject(a),
                "description": shortened(reader, a.description, 500, whole(a.report)),
                "type": plain(reader, f"reports.action_type.{a.type.value}"), "due": timeline.due_datetime(a.due_on),
                "overdue_days": (today - a.due_on).days if a.due_on < today else 0}
    return render("action_list", reader, mine=[line(a) for a in mine[:20]], to_verify=[line(a) for a in to_verify[:20]])


# --- timeline ----------------------------------------------------------------------------------------

def timeline_for(session: Session, actor: Actor, report: Report, *, modal: bool) -> dict[str, Any]:
    """The timeline, to someone who may see the report (service.check_visible refuses anyone else)."""
    injury = service.check_visible(session, actor, report)
    return timeline_surface(session, report, actor.reader, modal=modal, injury=injury)


def timeline_surface(session: Session, report: Report, reader: Reader, *, modal: bool,
                     follow: bool = False, injury: bool = False) -> dict[str, Any]:
    """``follow``: shown to the anonymous reporter, with how to answer a question; ``injury``: to someone
    who may see the injury class (permissions.may_see_injury)."""
    entries = timeline.entries(session, report)
    who_took = timeline.actors(session, {e.actor_id for e in entries if e.actor_id})
    lines = [text(reader, "reports.timeline.line", at=e.written_at, entry=timeline.describe(e, reader, who_took))
             for e in entries]
    actions = [text(reader, "reports.timeline.action", subject=action_subject(a),
                    type=plain(reader, f"reports.action_type.{a.type.value}"),
                    status=plain(reader, f"reports.action_status.{a.status.value}"),
                    due=timeline.due_datetime(a.due_on), description=a.description) for a in report.actions]
    return render("report_timeline", reader, modal=modal, reference=report.reference,
                  kind=plain(reader, f"reports.kind.{report.kind.value}"), description=report.description,
                  status=status_line(session, report, reader),
                  risk=risk_label(reader, report.risk_level, report.likelihood, report.severity, report.kind),
                  injury=plain(reader, f"reports.injury.{report.injury_class.value}")
                  if injury and report.injury_class else None,
                  root_cause=report.root_cause, lines=lines, actions=actions,
                  channel=channel_of(report, reader), follow=follow)


# --- a report guessed from a DM ----------------------------------------------------------------------

DRAFT_TEXT_BLOCK = "draft_text"


def draft_card(session: Session, reader: Reader, description: str, guess: Guess, source: str) -> dict[str, Any]:
    """The answer to a DM in plain words: what Triad understood, to file as is or edit first.

    Every DM gets one, understood or not: without a kind guessed, it asks the kind with a button each.
    The words travel in the card itself (a plain-text block, read back from the pressed message), so
    the buttons' 2,000-character values never cut them; past a report's own limit the card says so.
    """
    words = description.strip()
    draft = Draft(kind=guess.kind, standards=tuple(guess.standards), location_id=guess.location_id, source=source)
    kinds = [{"action_id": f"draft_kind:{kind.value}", "label": plain(reader, f"reports.kind.{kind.value}"),
              "value": replace(draft, kind=kind).encode()} for kind in ReportKind]
    return render("report_draft", reader, description=words[:DESCRIPTION_MAX], text_block=DRAFT_TEXT_BLOCK,
                  cut=len(words) - DESCRIPTION_MAX if len(words) > DESCRIPTION_MAX else 0, limit=DESCRIPTION_MAX,
                  kind=plain(reader, f"reports.kind.{guess.kind.value}") if guess.kind else None,
                  standards=standards_label(reader, guess.standards),
                  place=place_label(session, guess.location_id, None, reader), value=draft.encode(),
                  kinds=[] if guess.kind else kinds,
                  # an incident needs its injury class, asked in the form
                  can_file=guess.kind is not None and guess.kind != ReportKind.INCIDENT,
                  needs_form=guess.kind == ReportKind.INCIDENT)


def draft_text(message: dict[str, Any]) -> str | None:
    """The words a draft card carries, from the message Slack sends with a press (None if absent)."""
    blocks = message.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == DRAFT_TEXT_BLOCK:
            words = block.get("text")
            return str(words.get("text") or "") if isinstance(words, dict) else ""
    return None
