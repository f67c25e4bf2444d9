"""How the DMs that ask someone to act are shown (bot/reports/events.py): what a report waits for, urgent
alerts, a Can't do, an overdue action, a request for more time, an effectiveness check; and the same DMs
settled once what they asked is no longer needed (bot/reports/asks.py decides which).

Who is told, when and under which outbox key is the domain's (each event's ``to``); the words and the
buttons, pressed from the DM itself, are here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn, outbox
from bot.events import Event
from bot.i18n import Reader, listed, plain, render, safe, text
from bot.org import people
from bot.reports import asks, closure, events, timeline
from bot.reports.references import action_subject
from bot.reports.values import ActionRef, ReportRef
from handlers import dms
from handlers.reports.labels import channel_of, mention_of, status_line
from storage.models import CorrectiveAction, EvidenceEntry, OutboxMessage, Report

SIGN_OFF_BUTTONS = [{"action_id": "report_sign_off", "label": "reports.button.sign_off", "style": "primary",
                     "confirm": "reports.confirm.sign_off"},
                    {"action_id": "report_timeline", "label": "reports.button.timeline"}]
TIMELINE_BUTTON = [{"action_id": "report_timeline", "label": "reports.button.timeline"}]
ASSIGN_BUTTONS = [{"action_id": "report_assign", "label": "reports.button.assign", "style": "primary"},
                  {"action_id": "report_timeline", "label": "reports.button.timeline"}]
MORE_TIME_BUTTONS = [{"action_id": "action_more_time_approve", "label": "reports.button.approve", "style": "primary"},
                     {"action_id": "action_more_time_refuse", "label": "reports.button.refuse", "style": "danger"}]
CHECK_BUTTONS = [{"action_id": "report_still_effective", "label": "reports.button.still_effective", "style": "primary"},
                 {"action_id": "report_not_effective", "label": "reports.button.not_effective", "style": "danger"}]


def nudge_message(reader: Reader, value: ReportRef | ActionRef, words: str, buttons: list[dict[str, Any]],
                  ) -> dict[str, Any]:
    """A DM whose buttons carry ``value`` (the report or the action they act on), pressed from the DM itself."""
    return render("report_nudge", reader, value=value.encode(), text=words, buttons=buttons, settled=None)


# --- what a report waits for (bot/reports/followup.py) -------------------------------------------------

def waiting_nudged(session: Session, event: events.WaitingNudged) -> None:
    report, their = dms.row(session, Report, event.report_id), dms.reader_for(session, event.to)
    missing = timeline.missing_text(their, [(g, s.value if s else None) for g, s in closure.gaps(report)
                                            if g != "sign_off"])
    reminded = [dms.person(session, i) for i in event.reminded]
    dms.send(session, event.to, nudge_message(their, ReportRef(report.id), text(
        their, f"reports.nudge.{event.stage}", reference=report.reference,
        kind=plain(their, f"reports.kind.{report.kind.value}"), description=report.description[:300],
        waiting=text(their, f"reports.nudge.reason.{event.reason}", missing=missing), since=event.since,
        ask=text(their, f"reports.nudge.todo.{event.reason}"),
        reminded=safe(", ".join(mrkdwn.mention(p.slack_user_id) for p in reminded)) if reminded else None,
        channel=channel_of(report, their)), SIGN_OFF_BUTTONS if event.may_sign_off else TIMELINE_BUTTON))


def urgent_alerted(session: Session, event: events.UrgentAlerted) -> None:
    report, their = dms.row(session, Report, event.report_id), dms.reader_for(session, event.to)
    injury = plain(their, f"reports.injury.{report.injury_class.value}") if report.injury_class else ""
    dms.send(session, event.to, {"text": text(
        their, "reports.dm.urgent", reference=report.reference, kind=plain(their, f"reports.kind.{report.kind.value}"),
        why=text(their, f"reports.urgent.{event.why}", injury=injury), description=report.description[:300],
        channel=channel_of(report, their))})


def action_declined(session: Session, event: events.ActionDeclined) -> None:
    """Can't do: with the button to assign a new action."""
    action, entry = dms.row(session, CorrectiveAction, event.action_id), dms.row(session, EvidenceEntry, event.entry_id)
    their = dms.reader_for(session, event.to)
    report = action.report
    words = text(their, "reports.dm.declined", subject=action_subject(action),
                 owner=mention_of(session, action.owner_id), reason=entry.detail.get("reason", ""),
                 description=action.description[:300], reference=report.reference, channel=channel_of(report, their))
    dms.send(session, event.to, nudge_message(their, ReportRef(report.id), words, ASSIGN_BUTTONS))


def escalated_report_rejected(session: Session, event: events.EscalatedReportRejected) -> None:
    report, entry = dms.row(session, Report, event.report_id), dms.row(session, EvidenceEntry, event.entry_id)
    their = dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(
        their, "reports.dm.escalated_rejected", reference=report.reference,
        entry=timeline.describe(entry, their, timeline.actors(session, {entry.actor_id} if entry.actor_id else set())),
        channel=channel_of(report, their))})


# --- overdue actions (bot/reports/overdue.py) -----------------------------------------------------------

def action_overdue(session: Session, event: events.ActionOverdue) -> None:
    action, their = dms.row(session, CorrectiveAction, event.action_id), dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(
        their, "reports.dm.reminder", subject=action_subject(action), due=timeline.due_datetime(action.due_on),
        description=action.description)})


def overdue_escalated(session: Session, event: events.OverdueEscalated) -> None:
    action, their = dms.row(session, CorrectiveAction, event.action_id), dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(
        their, "reports.dm.overdue_escalation", subject=action_subject(action),
        owner=mention_of(session, action.owner_id), days=event.days, due=timeline.due_datetime(action.due_on),
        description=action.description, channel=channel_of(action.report, their))})


# --- more time on a high risk (bot/reports/more_time.py) ------------------------------------------------

def more_time_asked(session: Session, event: events.MoreTimeAsked) -> None:
    """To an approver with its buttons (again when reminded); to someone it is escalated to with the buttons
    only if they may decide, else asking them to see that it is decided."""
    action, request = dms.row(session, CorrectiveAction, event.action_id), dms.row(session, EvidenceEntry,
                                                                                   event.request_entry_id)
    their = dms.reader_for(session, event.to)
    report = action.report
    assert action.requested_due_on is not None and report.risk_level is not None
    values = dict(subject=action_subject(action), owner=mention_of(session, action.owner_id),
                  reason=action.requested_reason or "", due=timeline.due_datetime(action.requested_due_on),
                  previous=timeline.due_datetime(action.due_on), description=action.description[:300],
                  level=plain(their, f"reports.risk.{report.risk_level.value}"))
    if event.approvers is not None:
        approvers = [dms.person(session, i) for i in event.approvers]
        words = text(their, "reports.dm.more_time_escalated", since=request.written_at, may_decide=event.may_decide,
                     approvers=safe(listed(their, (mrkdwn.mention(p.slack_user_id) for p in approvers))),
                     channel=channel_of(report, their), **values)
    else:
        words = text(their, "reports.dm.more_time_request", **values)
        if event.reminder:
            words = safe(f"{text(their, 'reports.dm.more_time_reminder', since=request.written_at)}\n{words}")
    dms.send(session, event.to, nudge_message(their, ActionRef(action.id), words,
                                              MORE_TIME_BUTTONS if event.may_decide else []))


def more_time_decided(session: Session, event: events.MoreTimeDecided) -> None:
    action, entry = dms.row(session, CorrectiveAction, event.action_id), dms.row(session, EvidenceEntry, event.entry_id)
    their = dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(
        their, f"reports.dm.{entry.kind}", subject=action_subject(action), due=timeline.due_datetime(action.due_on),
        who=timeline.who(entry, their, timeline.actors(session, {entry.actor_id} if entry.actor_id else set())))})


# --- effectiveness checks (bot/reports/effectiveness.py) ------------------------------------------------

def effectiveness_check_due(session: Session, event: events.EffectivenessCheckDue) -> None:
    report, their = dms.row(session, Report, event.report_id), dms.reader_for(session, event.to)
    assert report.effectiveness_check_on is not None
    words = text(their, "reports.dm.effectiveness_due", reference=report.reference,
                 due=timeline.due_datetime(report.effectiveness_check_on), description=report.description[:300],
                 cause=report.root_cause)
    dms.send(session, event.to, nudge_message(their, ReportRef(report.id), words, CHECK_BUTTONS))


# --- settled -------------------------------------------------------------------------------------------

def settle(session: Session, report: Report) -> None:
    """After a step: every ask about this report that is no longer needed is updated (or withdrawn)."""
    stale = asks.stale(session, report)
    if not stale:
        return
    rows = {m.key: m for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.key.in_([*stale, *(f"{k}:settled" for k in stale)])))}
    for key in stale:
        sent, update = rows.get(key), rows.get(f"{key}:settled")
        if sent is None or sent.status not in ("pending", "sent"):
            continue
        if update is not None and (update.status != "pending" or update.claimed_until is not None):
            continue  # settled already, and gone out (or going): it said what had happened then
        if sent.status == "pending" and outbox.withdraw(session, key):
            continue
        person = people.find(session, sent.channel or "")
        if person is None:
            continue
        message = _settled(session, report, dms.reader_of(session, person), sent.payload)
        if update is not None:  # settled earlier in this step or one not yet delivered: say the latest
            update.payload = message
        else:
            outbox.update(session, f"{key}:settled", key, message)


def _settled(session: Session, report: Report, reader: Reader, asked_for: dict[str, Any]) -> dict[str, Any]:
    now = text(reader, "reports.ask_settled", reference=report.reference, status=status_line(session, report, reader))
    words: Markup = safe(str(asked_for.get("text") or ""))
    return render("report_nudge", reader, value=ReportRef(report.id).encode(), text=words, buttons=[], settled=now)


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {
    events.WaitingNudged: waiting_nudged, events.UrgentAlerted: urgent_alerted,
    events.ActionDeclined: action_declined, events.EscalatedReportRejected: escalated_report_rejected,
    events.ActionOverdue: action_overdue, events.OverdueEscalated: overdue_escalated,
    events.MoreTimeAsked: more_time_asked, events.MoreTimeDecided: more_time_decided,
    events.EffectivenessCheckDue: effectiveness_check_due,
}
