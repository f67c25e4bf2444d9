"""The corrective action's life: its owner does it (with evidence), asks for time or declines; its verifier
confirms it worked or reopens it. Same contract as ``service``: one function per step, raising before it changes
anything.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.org.people import Actor
from bot.reports import events, followup, more_time, permissions, service, timeline
from bot.reports.errors import ReportError
from bot.reports.events import ActionChanged, ActionGiven, VerificationAsked, VerificationSettled
from bot.reports.references import action_subject
from storage.models import ActionStatus, CorrectiveAction, RiskLevel

NEEDS_APPROVAL = (RiskLevel.HIGH, RiskLevel.CRITICAL)  # more time on these risks: the supervisor decides
# The entries that set an action's due date: a new one corrects the latest of them.
DUE_SET = ("action_assigned", "action_extended", "more_time_approved")


def check_may_work_on(session: Session, actor: Actor, action_id: int, step: str) -> CorrectiveAction:
    """The owner's steps (Done, Need more time, Can't do), also checked before their modals open."""
    return _check(session, actor, action_id, step, permissions.may_work_on, permissions.ACTION_OWNER, ActionStatus.OPEN)


def check_may_verify(session: Session, actor: Actor, action_id: int, step: str) -> CorrectiveAction:
    """The verifier's steps (Effective, Reopen)."""
    return _check(session, actor, action_id, step, permissions.may_verify, permissions.VERIFIER, ActionStatus.DONE)


def _check(session: Session, actor: Actor, action_id: int, step: str,
           may: Callable[[Actor, CorrectiveAction], bool], who: str,
           status: ActionStatus) -> CorrectiveAction:
    """Audited permission, an open report, and the action in the state the step expects (else: stale)."""
    action = service.get_action(session, action_id)
    permissions.require(session, actor, f"action.{step}", action_subject(action), may(actor, action), who)
    service.require_open(action.report)
    if action.status != status:
        raise ReportError(f"reports.error.action_{action.status.value}", action=action_subject(action))
    return action


def evidence_problems(note: str | None, files: list[dict[str, Any]]) -> dict[str, str]:
    """Done needs evidence: a note, a photo or both."""
    note = (note or "").strip() or None
    if not note and not files:
        return {"note": "reports.invalid.evidence_missing"}
    return {"note": "reports.invalid.text_long"} if service.text_problem(note, None) else {}


def check_complete_action(session: Session, actor: Actor, action_id: int, note: str | None,
                          files: list[dict[str, Any]]) -> CorrectiveAction:
    action = check_may_work_on(session, actor, action_id, "done")
    service.raise_if(evidence_problems(note, files))
    return action


def complete_action(session: Session, actor: Actor, action_id: int, note: str | None,
                    files: list[dict[str, Any]]) -> CorrectiveAction:
    action = check_complete_action(session, actor, action_id, note, files)
    note = (note or "").strip() or None
    action.status, action.evidence_note, action.evidence_files = ActionStatus.DONE, note, files
    action.done_at = clock.now()
    settled(session, action)
    entry = timeline.record(session, action.report, actor, "action_done", action=action, note=note,
                            files=len(files))
    events.stepped(session, action.report, entry)
    announce(session, ActionChanged(action.id))
    announce(session, VerificationAsked(action.id, entry.id))
    return action


def more_time_problems(new_due: date | None, reason: str) -> dict[str, str]:
    problems = reason_problems(reason)
    if new_due is None:
        problems["due_on"] = "reports.invalid.due_not_later"
    return problems


def check_extend_action(session: Session, actor: Actor, action_id: int, new_due: date | None,
                        reason: str) -> CorrectiveAction:
    action = check_may_work_on(session, actor, action_id, "more_time")
    problems = more_time_problems(new_due, reason)
    if new_due is not None and new_due <= max(action.due_on, service.today(session) - timedelta(days=1)):
        problems["due_on"] = "reports.invalid.due_not_later"
    service.raise_if(problems)
    if action.report.risk_level in NEEDS_APPROVAL and action.requested_due_on is not None:
        raise ReportError("reports.error.more_time_pending", action=action_subject(action))
    return action


def extend_action(session: Session, actor: Actor, action_id: int, new_due: date | None,
                  reason: str) -> CorrectiveAction:
    action = check_extend_action(session, actor, action_id, new_due, reason)
    assert new_due is not None
    if action.report.risk_level in NEEDS_APPROVAL:
        action.requested_due_on, action.requested_reason = new_due, reason.strip()
        entry = timeline.record(session, action.report, actor, "more_time_requested", action=action,
                                due=new_due.isoformat(), previous_due=action.due_on.isoformat(), reason=reason.strip(),
                                asked=[p.id for p in more_time.approvers(session, action)])
        events.stepped(session, action.report, entry)
        more_time.requested(session, action, entry)
        return action
    previous, action.due_on = action.due_on, new_due
    entry = timeline.record(session, action.report, actor, "action_extended", action=action,
                            corrects=timeline.latest(session, action.report, *DUE_SET, action=action),
                            due=new_due.isoformat(), previous_due=previous.isoformat(), reason=reason.strip())
    events.stepped(session, action.report, entry)
    announce(session, ActionChanged(action.id))
    return action


def decide_more_time(session: Session, actor: Actor, action_id: int, approve: bool) -> CorrectiveAction:
    """The supervisor (or a manager) approves or refuses more time on a high or critical risk; the owner hears."""
    action = service.get_action(session, action_id)
    permissions.require(session, actor, "action.more_time_decision", action_subject(action),
                        permissions.may_approve_more_time(actor, action), permissions.APPROVERS)
    service.require_open(action.report)
    if action.requested_due_on is None or action.status != ActionStatus.OPEN:
        raise ReportError("reports.error.no_more_time_request", action=action_subject(action))
    requested, previous = action.requested_due_on, action.due_on
    if approve:
        action.due_on = requested
    action.requested_due_on = action.requested_reason = None
    followups.forget(session, action.report_id, f"action:{action.id}:more_time:")
    entry = timeline.record(session, action.report, actor, "more_time_approved" if approve else "more_time_refused",
                            action=action, due=requested.isoformat(), previous_due=previous.isoformat(),
                            corrects=timeline.latest(session, action.report, *DUE_SET, action=action)
                            if approve else None)
    events.stepped(session, action.report, entry)
    announce(session, ActionChanged(action.id))
    more_time.decided(session, action, entry)
    return action


def check_decline_action(session: Session, actor: Actor, action_id: int, reason: str) -> CorrectiveAction:
    action = check_may_work_on(session, actor, action_id, "cant_do")
    service.raise_if(reason_problems(reason))
    return action


def decline_action(session: Session, actor: Actor, action_id: int, reason: str) -> CorrectiveAction:
    action = check_decline_action(session, actor, action_id, reason)
    reason = reason.strip()
    action.status = ActionStatus.DECLINED
    settled(session, action)
    entry = timeline.record(session, action.report, actor, "action_declined", action=action, reason=reason,
                            asked=followup.declined_told(session, action))
    events.stepped(session, action.report, entry)
    announce(session, ActionChanged(action.id))
    followup.tell_declined(session, action, entry)
    service.close_if_complete(session, action.report)
    return action


def settled(session: Session, action: CorrectiveAction) -> None:
    """Done, verified or declined: nothing chases its owner or its approver any more (overdue, more time)."""
    followups.forget(session, action.report_id, f"action:{action.id}:")


def reason_problems(reason: str) -> dict[str, str]:
    """A reason is required when an action is declined, reopened or given more time: the next person must know why."""
    problem = service.text_problem(reason, "reports.invalid.reason_missing")
    return {"text": problem} if problem else {}


def verify_action(session: Session, actor: Actor, action_id: int) -> CorrectiveAction:
    action = check_may_verify(session, actor, action_id, "verify")
    action.status, action.verified_at = ActionStatus.VERIFIED, clock.now()
    settled(session, action)
    entry = timeline.record(session, action.report, actor, "action_verified", action=action)
    events.stepped(session, action.report, entry)
    announce(session, ActionChanged(action.id))
    announce(session, VerificationSettled(action.id))
    service.close_if_complete(session, action.report)
    return action


def check_reopen_action(session: Session, actor: Actor, action_id: int, reason: str) -> CorrectiveAction:
    action = check_may_verify(session, actor, action_id, "reopen")
    service.raise_if(reason_problems(reason))
    return action


def reopen_action(session: Session, actor: Actor, action_id: int, reason: str) -> CorrectiveAction:
    action = check_reopen_action(session, actor, action_id, reason)
    reason = reason.strip()
    action.status, action.done_at = ActionStatus.OPEN, None
    entry = timeline.record(session, action.report, actor, "action_reopened", action=action, reason=reason)
    events.stepped(session, action.report, entry)
    announce(session, VerificationSettled(action.id))
    announce(session, ActionGiven(action.id, entry.id))
    return action
