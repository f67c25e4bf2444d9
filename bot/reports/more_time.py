"""More time on a high or critical risk waits for an approver, never silently.

The supervisor (the managers, for the supervisor's own action) is asked by DM with Approve / Refuse the
moment it is requested, reminded, then the managers are told, then the report's system owners (the safety
owner when it has none), each stage after its own working time of the department; after the last, every
working day. Every DM waits for its reader's working hours. The chain stops the moment the request is
decided, or the action or the report moves on (Done, Can't do, closed, rejected).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import Dm, announce
from bot.followups import Stage
from bot.org import people, working_hours
from bot.reports import events, followup, permissions, timeline
from bot.reports.events import MoreTimeAsked, MoreTimeDecided
from bot.runtime import Runtime
from storage.models import ActionStatus, CorrectiveAction, EvidenceEntry, Person, Report, ReportStatus, Role, Standard

# Working hours of the department after the stage before: asked at once, reminded after half a day, the
# managers told after a day, the system owners after two; then every working day.
STAGES = (Stage("ask", 0), Stage("remind", 4), Stage("manager", 4), Stage("system_owner", 8))
REPEAT_EVERY = 8


def chain_key(action: CorrectiveAction, request: EvidenceEntry) -> str:
    return f"action:{action.id}:more_time:{request.id}"


def approvers(session: Session, action: CorrectiveAction) -> list[Person]:
    """The department's supervisor; for the supervisor's own action (or none), the managers."""
    report = action.report
    return [p for p in followup.supervisors(session, report) if p.id != action.owner_id] or \
        [p for p in followup.managers(session) if p.id != action.owner_id]


def escalation_groups(session: Session, action: CorrectiveAction, asked: list[Person]) -> list[list[Person]]:
    """The managers, then the report's system owners (the safety owner when it has none): never the action's
    owner, nobody twice; an empty group passes to the next."""
    report = action.report
    owners = followup.system_owners(session, report) or \
        people.people_with_role(session, Role.OWNER, standard=Standard.SAFETY)
    groups, told = [], {action.owner_id, *(p.id for p in asked)}
    for group in (followup.managers(session), owners):
        fresh = [p for p in group if p.id not in told]
        told.update(p.id for p in fresh)
        if fresh:
            groups.append(fresh)
    return groups


def pending(action: CorrectiveAction) -> bool:
    """A request still waiting: undecided, on an action still open, of a report still open."""
    return action.requested_due_on is not None and action.status == ActionStatus.OPEN and \
        action.report.status in (ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING)


def follow_up(session: Session, action: CorrectiveAction, request: EvidenceEntry) -> int:
    """Send what the request's chain owes now (at the request itself: the ask); returns how many stages."""
    if not pending(action):
        return 0
    asked = approvers(session, action)
    groups = escalation_groups(session, action, asked)
    stages = STAGES[:2 + len(groups)]
    owed = followups.due(session, chain_key(action, request), request.written_at, stages,
                         working_hours.of_department(session, action.report.department_id), clock.now(),
                         report_id=action.report_id, repeat_every=REPEAT_EVERY,
                         replaces=f"action:{action.id}:more_time:")
    for stage, repeat in owed:
        index = stages.index(stage)
        if index == 0:
            for person in asked:
                _ask(session, action, request, person, None)
            continue
        told = groups[index - 2] if index >= 2 else []
        recipients = followup.unique((asked if repeat or index == 1 else []) + told)
        if not recipients:  # nobody to approve it: the managers and owners are told at their stages
            continue
        entry = timeline.record(session, action.report, None, "waiting_escalated" if told else "waiting_reminded",
                                action=action, waiting="more_time", people=[p.slack_user_id for p in recipients])
        events.stepped(session, action.report, entry)
        for person in recipients:
            _ask(session, action, request, person, entry, asked=asked if person not in asked else None)
    return len(owed)


def _ask(session: Session, action: CorrectiveAction, request: EvidenceEntry, person: Person,
         entry: EvidenceEntry | None, *, asked: list[Person] | None = None) -> None:
    """The request by DM: to an approver with its buttons (again when reminded); to someone it is escalated
    to with the buttons only if they may decide, else asking them to see that it is decided."""
    key = f"action:{action.id}:more_time:{request.id}:{person.id}" if entry is None else \
        f"action:{action.id}:more_time:{request.id}:{entry.id}:{person.id}"
    announce(session, MoreTimeAsked(
        working_hours.dm_in_hours(session, key, person), action.id, request.id, reminder=entry is not None,
        approvers=tuple(p.id for p in asked) if asked is not None else None,
        may_decide=permissions.may_approve_more_time(people.actor_of(person, people.organisation(session)), action)))


def requested(session: Session, action: CorrectiveAction, request: EvidenceEntry) -> None:
    """Just asked for: the approvers hear at once (in their working hours)."""
    follow_up(session, action, request)


def decided(session: Session, action: CorrectiveAction, entry: EvidenceEntry) -> None:
    """The owner hears the decision."""
    owner = session.get(Person, action.owner_id)
    assert owner is not None
    announce(session, MoreTimeDecided(Dm(owner.id, f"action:{action.id}:more_time_decision:{entry.id}"),
                                      action.id, entry.id))


def sweep(session: Session) -> int:
    actions = list(session.scalars(select(CorrectiveAction).join(Report).where(
        CorrectiveAction.requested_due_on.is_not(None), CorrectiveAction.status == ActionStatus.OPEN,
        Report.status.in_((ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING)),
    ).order_by(CorrectiveAction.id)))
    if not actions:
        return 0
    latest = select(EvidenceEntry.action_id, func.max(EvidenceEntry.id).label("id")).where(
        EvidenceEntry.action_id.in_([a.id for a in actions]), EvidenceEntry.kind == "more_time_requested",
    ).group_by(EvidenceEntry.action_id).subquery()
    requests = {e.action_id: e
                for e in session.scalars(select(EvidenceEntry).join(latest, EvidenceEntry.id == latest.c.id))}
    return sum(follow_up(session, a, requests[a.id]) for a in actions if a.id in requests)


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)
