"""Who may press what. Every decision, allowed or refused, is written to the audit trail.

- Triage (acknowledge, assess, assign, reject, escalate, root cause, ask the reporter): the
  supervisor of the report's department, an owner of a standard the report is tagged to, a
  manager or an admin.
- Done / Need more time / Can't do: the action's owner.
- Verify / Reopen: the action's verifier, who is never its owner.
- Sign-off: the owner of a tagged standard, for that standard.
- Seeing a report (its timeline, /report status): its reporter, their department (its people, or
  anyone whose department's channel it is in), whoever may triage it, its actions' owners and
  verifiers. Its injury class: the supervisor, the safety owner and managers only (medical details).
- More time on a high or critical risk: the supervisor, a manager or an admin (never the action's owner).
- Reopening a rejected report: the same people as triage.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.org.people import Actor
from bot.reports.errors import NotAllowed, ReportError
from storage.models import CorrectiveAction, Department, Report, Standard

TRIAGERS = "reports.who.triagers"
ACTION_OWNER = "reports.who.action_owner"
VERIFIER = "reports.who.verifier"
STANDARD_OWNERS = "reports.who.standard_owners"
APPROVERS = "reports.who.approvers"
REOPENERS = "reports.who.reopeners"


def may_triage(actor: Actor, report: Report) -> bool:
    return (actor.is_manager or actor.is_admin or actor.supervises(report.department_id)
            or any(actor.owns(tag.standard) for tag in report.standards))


def may_work_on(actor: Actor, action: CorrectiveAction) -> bool:
    return actor.id == action.owner_id


def may_verify(actor: Actor, action: CorrectiveAction) -> bool:
    return actor.id == action.verifier_id and actor.id != action.owner_id


def may_approve_more_time(actor: Actor, action: CorrectiveAction) -> bool:
    """The department's supervisor, a manager or an admin; never the action's owner for themselves."""
    return actor.id != action.owner_id and (actor.is_manager or actor.is_admin
                                             or actor.supervises(action.report.department_id))


def may_reopen(actor: Actor, report: Report) -> bool:
    """A rejected report: its department's supervisor or an owner of a tagged system (or a manager, an admin)."""
    return may_triage(actor, report)


def standards_to_sign(actor: Actor, report: Report) -> list[Standard]:
    """The tagged standards this person owns and has not signed off yet."""
    return [tag.standard for tag in report.standards if tag.signed_off_at is None and actor.owns(tag.standard)]


def require(session: Session, actor: Actor, step: str, subject: str, allowed: bool, who: str) -> None:
    """Record the decision; refuse with a text naming who may."""
    audit.record(session, actor.id, step, subject, allowed=allowed)
    if not allowed:
        raise NotAllowed(who)


def may_see(session: Session, actor: Actor, report: Report) -> bool:
    if report.reporter_id is not None and report.reporter_id == actor.id:
        return True
    if may_triage(actor, report) or any(actor.id in (a.owner_id, a.verifier_id) for a in report.actions):
        return True
    if actor.department_id is None:
        return False
    if report.department_id == actor.department_id:
        return True
    channel = session.scalar(select(Department.channel_id).where(Department.id == actor.department_id))
    return channel is not None and channel == report.channel_id


def require_visible(session: Session, actor: Actor, report: Report) -> None:
    allowed = may_see(session, actor, report)
    audit.record(session, actor.id, "report.view", report.reference, allowed=allowed)
    if not allowed:
        raise ReportError("reports.error.not_visible", reference=report.reference)


def may_see_injury(actor: Actor, report: Report) -> bool:
    return actor.is_manager or actor.supervises(report.department_id) or actor.owns(Standard.SAFETY)
