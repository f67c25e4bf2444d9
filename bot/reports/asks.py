"""DMs that ask someone to act on a report stay true after the report moves on.

A sign-off ask, a reminder or escalation of what a report waits for, a "Can't do" that needs a new action,
a request for more time, an effectiveness check: once what it asked is no longer needed (done by them or
someone else, the report closed, rejected or moved on), its DM is updated in the same unit of work as the
step that settled it: its buttons go and it says where the report is now. One not yet sent (held for its
reader's working hours) is withdrawn instead (handlers/reports/nudges.py). Pressing an old button is refused
on the server anyway.

The asks are found from the timeline entries that sent them (their outbox keys follow from the entry and
the people it names: ``people`` by Slack id, or ``asked`` by person id), so nothing else needs to be stored.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import closure
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    EvidenceEntry,
    Person,
    Report,
    ReportStatus,
    Role,
    RoleAssignment,
)

NUDGES = ("sign_off_asked", "waiting_reminded", "waiting_escalated")  # report:<id>:nudge:<entry>:<person>
ASK_KINDS = (*NUDGES, "action_declined", "more_time_requested", "effectiveness_due")
OPEN = (ReportStatus.NEW, ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING)
# What answers an ask about one action, or an effectiveness check, once it is recorded after the ask.
ANSWERED_BY = {"action_declined": ("action_assigned",),
               "more_time_requested": ("more_time_approved", "more_time_refused"),
               "effectiveness_due": ("effectiveness_confirmed", "effectiveness_failed")}


def _key(report: Report, entry: EvidenceEntry, person_id: int, earlier: list[EvidenceEntry]) -> str:
    if entry.kind in NUDGES and entry.detail.get("waiting") == "more_time":  # bot/reports/more_time.py
        request = next((e.id for e in reversed(earlier) if e.kind == "more_time_requested"
                        and e.action_id == entry.action_id), None)
        return f"action:{entry.action_id}:more_time:{request}:{entry.id}:{person_id}"
    if entry.kind in NUDGES:
        return f"report:{report.id}:nudge:{entry.id}:{person_id}"
    if entry.kind == "action_declined":
        return f"report:{report.id}:declined:{entry.id}:{person_id}"
    if entry.kind == "more_time_requested":
        return f"action:{entry.action_id}:more_time:{entry.id}:{person_id}"
    return f"report:{report.id}:effectiveness:{entry.id}:{person_id}"


def _owns_unsigned(session: Session, report: Report, person_id: int) -> bool:
    unsigned = [tag.standard for tag in report.standards if tag.signed_off_at is None]
    return bool(unsigned) and session.scalar(select(RoleAssignment.id).where(
        RoleAssignment.person_id == person_id, RoleAssignment.role == Role.OWNER,
        RoleAssignment.standard.in_(unsigned)).limit(1)) is not None


def _needed(session: Session, report: Report, entry: EvidenceEntry, person_id: int, later: list[EvidenceEntry]) -> bool:
    if entry.kind == "effectiveness_due":
        return report.status == ReportStatus.CLOSED and report.effectiveness_check_on is not None and not any(
            e.kind in ANSWERED_BY[entry.kind] for e in later)
    if report.status not in OPEN:
        return False
    if entry.kind == "more_time_requested" or entry.detail.get("waiting") == "more_time":
        action = session.get(CorrectiveAction, entry.action_id) if entry.action_id else None
        if action is None or action.status != ActionStatus.OPEN or action.requested_due_on is None:
            return False
        if entry.kind != "more_time_requested":
            return True
        later = [e for e in later if e.action_id == entry.action_id]
        return not any(e.kind in ANSWERED_BY[entry.kind] for e in later)
    if entry.kind in NUDGES:
        reason = entry.detail.get("waiting")
        if closure.waiting_for(report) != reason:
            return False
        return reason != "sign_off" or entry.kind == "waiting_escalated" or _owns_unsigned(session, report, person_id)
    return not any(e.kind in ANSWERED_BY[entry.kind] for e in later)


def stale(session: Session, report: Report) -> list[str]:
    """The outbox keys of the asks about this report that are no longer needed (the Slack side settles them:
    handlers/reports/nudges.py)."""
    entries = list(session.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == report.id).order_by(
        EvidenceEntry.id)))
    asks = [e for e in entries if e.kind in ASK_KINDS]
    if not asks:
        return []
    named = {slack_id for e in asks for slack_id in e.detail.get("people") or [] if "asked" not in e.detail}
    ids: dict[str, int] = {slack_id: person_id for slack_id, person_id in session.execute(
        select(Person.slack_user_id, Person.id).where(Person.slack_user_id.in_(named)))} if named else {}
    stale: dict[str, None] = {}
    for entry in asks:
        later = [e for e in entries if e.id > entry.id]
        person_ids = entry.detail.get("asked") or [ids[s] for s in entry.detail.get("people") or [] if s in ids]
        for person_id in person_ids:
            if not _needed(session, report, entry, person_id, later):
                stale[_key(report, entry, person_id, [e for e in entries if e.id < entry.id])] = None
    return list(stale)
