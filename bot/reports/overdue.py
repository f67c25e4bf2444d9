"""Overdue corrective actions climb a chain: the owner is reminded, then the supervisor is told, then the
manager, then the owner of the report's system, each stage after its own working time; after the last,
it is repeated every working week until the action moves.

Nobody is told about their own action: a stage whose people all own it (a supervisor's own action)
passes to the next, so a supervisor's overdue action goes to the manager. The chain belongs to the
due date: Need more time starts it again. Runs every 15 minutes (and in the sandbox after ``wait``).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.followups import Stage
from bot.i18n import zone
from bot.org import people, working_hours
from bot.reports import events, followup, service, timeline
from bot.reports.events import ActionOverdue, OverdueEscalated
from bot.runtime import Runtime
from storage.models import ActionStatus, CorrectiveAction, Person, Report, ReportStatus

# Working hours after the due day has ended (the first: its owner, at the next working moment).
STAGES = (Stage("owner", 0), Stage("supervisor", 16), Stage("manager", 24), Stage("system_owner", 40))
REPEAT_EVERY = 40


def escalation_groups(session: Session, action: CorrectiveAction) -> list[list[Person]]:
    """Who is told at each escalation, in order: supervisor, manager, system owner; never the action's
    owner, nobody twice; an empty group passes to the next."""
    report = action.report
    groups, told = [], {action.owner_id}
    for group in (followup.supervisors(session, report), followup.managers(session),
                  followup.system_owners(session, report)):
        fresh = [p for p in group if p.id not in told]
        told.update(p.id for p in fresh)
        if fresh:
            groups.append(fresh)
    return groups


def overdue_from(session: Session, action: CorrectiveAction) -> datetime:
    """The end of the due day in the organisation's zone: from then on the action is overdue."""
    tz = zone(people.organisation(session).timezone)
    return datetime.combine(action.due_on + timedelta(days=1), time(0), tz)


def sweep(session: Session) -> int:
    """Send what is owed now; returns how many stages were sent."""
    today = service.today(session)
    overdue = session.scalars(select(CorrectiveAction).join(Report).where(
        CorrectiveAction.status == ActionStatus.OPEN, CorrectiveAction.due_on < today,
        Report.status.in_((ReportStatus.ACTION, ReportStatus.CLOSING)),
    ).order_by(CorrectiveAction.id)).all()
    sent = 0
    now = clock.now()
    for action in overdue:
        groups = escalation_groups(session, action)
        stages = STAGES[:1 + len(groups)]
        owed = followups.due(session, f"action:{action.id}:overdue:{action.due_on.isoformat()}",
                             overdue_from(session, action), stages,
                             working_hours.of_department(session, action.report.department_id), now,
                             report_id=action.report_id, repeat_every=REPEAT_EVERY,
                             replaces=f"action:{action.id}:overdue:")
        for stage, repeat in owed:
            index = stages.index(stage)
            if index == 0 or repeat:
                _remind_owner(session, action)
            if index > 0:
                _escalate(session, action, groups[index - 1])
            sent += 1
    return sent


def _days_late(session: Session, action: CorrectiveAction) -> int:
    return (service.today(session) - action.due_on).days


def _remind_owner(session: Session, action: CorrectiveAction) -> None:
    days = _days_late(session, action)
    entry = timeline.record(session, action.report, None, "action_reminded", action=action,
                            due=action.due_on.isoformat(), days=days)
    events.stepped(session, action.report, entry)
    owner = session.get(Person, action.owner_id)
    assert owner is not None
    announce(session, ActionOverdue(working_hours.dm_in_hours(
        session, f"action:{action.id}:reminder:{entry.id}", owner), action.id))


def _escalate(session: Session, action: CorrectiveAction, group: list[Person]) -> None:
    days = _days_late(session, action)
    entry = timeline.record(session, action.report, None, "action_overdue_escalated", action=action,
                            due=action.due_on.isoformat(), days=days, people=[p.slack_user_id for p in group])
    events.stepped(session, action.report, entry)
    for person in group:
        announce(session, OverdueEscalated(working_hours.dm_in_hours(
            session, f"action:{action.id}:escalation:{entry.id}:{person.id}", person), action.id, days))


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)
