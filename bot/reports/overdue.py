"""Overdue corrective actions: first a reminder to the owner, then the supervisor is told.

Runs every 15 minutes (and in the sandbox right after its clock moves). Each stage is sent once
per due date: the action remembers which due date it reminded about and escalated, so a new due
date (Need more time) starts the stages again.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import jobs, scheduler
from bot.org import people
from bot.reports import notify, service, timeline
from bot.runtime import current
from storage.models import ActionStatus, CorrectiveAction, Report, ReportStatus, Role

REMIND_AFTER = timedelta(days=1)  # overdue by a day: the owner is reminded
ESCALATE_AFTER = timedelta(days=3)  # overdue by three days: the supervisor is told


def sweep(session: Session) -> int:
    """Send what is owed now; returns how many reminders and escalations were enqueued."""
    today = service.today(session)
    overdue = session.scalars(select(CorrectiveAction).join(Report).where(
        CorrectiveAction.status == ActionStatus.OPEN, CorrectiveAction.due_on <= today - REMIND_AFTER,
        Report.status.in_((ReportStatus.ACTION, ReportStatus.CLOSING)),
    ).order_by(CorrectiveAction.id)).all()
    sent = 0
    for action in overdue:
        late = today - action.due_on
        if action.reminded_on != action.due_on:
            action.reminded_on = action.due_on
            entry = timeline.record(session, action.report, None, "action_reminded", action=action,
                                    due=action.due_on.isoformat(), days=late.days)
            notify.step(session, action.report, entry)
            notify.overdue_reminder(session, action, entry)
            sent += 1
        if late >= ESCALATE_AFTER and action.escalated_on != action.due_on:
            action.escalated_on = action.due_on
            supervisors = (people.people_with_role(session, Role.SUPERVISOR, department_id=action.report.department_id)
                           if action.report.department_id else []) or people.people_with_role(session, Role.MANAGER)
            entry = timeline.record(session, action.report, None, "action_overdue_escalated", action=action,
                                    due=action.due_on.isoformat(), days=late.days,
                                    people=[p.slack_user_id for p in supervisors])
            notify.step(session, action.report, entry)
            notify.overdue_escalation(session, action, entry, supervisors)
            sent += 1
    return sent


def sweep_job() -> None:
    with current().db.session() as s:
        sweep(s)


jobs.TIME_SWEEPS.append(sweep_job)
scheduler.add_job("action-reminders", "bot.reports.overdue:sweep_job", trigger="interval", minutes=15)
