"""Nothing waits silently: a report whose next step belongs to someone is asked of them, reminded and
escalated up a chain, in their working hours; an injury or a critical risk alerts at once.

What a report waits for (``waiting_for``), and who is asked first:

- triage (a new report): the department's supervisor (else the owners of its systems, else the managers);
- action (no action, or every action declined with Can't do): the same;
- cause (all actions verified, a root cause or a cause-removing action missing): the same;
- verify (actions done, none open): their verifiers;
- sign_off (only sign-offs missing): each owner still to sign, asked at once with the Sign off button.

Then the managers (and the systems' owners) are told, then both are reminded every working week.
The clock of a chain is the department's working time; each DM waits for its reader's
(``working_hours.dm_in_hours``). A new step on the report starts a new chain. Overdue actions: ``overdue``; more time
waiting for approval: ``more_time``.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.followups import Stage
from bot.org import people, working_hours
from bot.reports import closure, events, timeline
from bot.reports.events import ActionDeclined, EscalatedReportRejected, UrgentAlerted, WaitingNudged
from bot.runtime import Runtime
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    EvidenceEntry,
    FollowUp,
    Person,
    Report,
    ReportStatus,
    RiskLevel,
    Role,
    Standard,
)

# Entries Triad writes about waiting itself: they do not count as a step that restarts the chain.
FOLLOW_UP_KINDS = ("waiting_reminded", "waiting_escalated", "urgent_alert", "action_reminded",
                   "action_overdue_escalated", "sign_off_asked", "effectiveness_due", "effectiveness_scheduled")
URGENT_STAGES = (Stage("remind", 1), Stage("escalate", 4))  # an hour, then half a working day
NORMAL_STAGES = (Stage("remind", 8), Stage("escalate", 16))  # a working day, then two more
SIGN_OFF_STAGES = (Stage("ask", 0), Stage("remind", 8), Stage("escalate", 16))
REPEAT_URGENT, REPEAT_NORMAL = 8, 40  # then every working day / week until someone acts
TRIAGE_REASONS = ("triage", "action", "cause")


def is_urgent(report: Report) -> bool:
    """Reminded within the hour: an injury, or a high or critical risk (assessed, else the reporter's estimate)."""
    level = report.risk_level or report.severity_estimate
    return report.injury_class is not None or level in (RiskLevel.HIGH, RiskLevel.CRITICAL)


def urgent_alert(report: Report) -> bool:
    """An urgent safety alert, sent whatever the hour: an injury, or a critical risk (assessed, else estimated)."""
    return report.injury_class is not None or RiskLevel.CRITICAL in (report.risk_level, report.severity_estimate)


waiting_for = closure.waiting_for


# --- who -------------------------------------------------------------------------------------------

def unique(persons: list[Person], *excluded: list[Person]) -> list[Person]:
    skip = {p.id for group in excluded for p in group}
    seen: dict[int, Person] = {}
    for p in persons:
        if p.id not in skip:
            seen.setdefault(p.id, p)
    return list(seen.values())


def supervisors(session: Session, report: Report) -> list[Person]:
    if report.department_id is None:
        return []
    return people.people_with_role(session, Role.SUPERVISOR, department_id=report.department_id)


def system_owners(session: Session, report: Report, standards: list[Standard] | None = None) -> list[Person]:
    found: list[Person] = []
    for standard in standards if standards is not None else [t.standard for t in report.standards]:
        found += people.people_with_role(session, Role.OWNER, standard=standard)
    return unique(found)


def managers(session: Session) -> list[Person]:
    return people.people_with_role(session, Role.MANAGER)


def first_asked(session: Session, report: Report, reason: str) -> list[Person]:
    if reason == "verify":
        return unique([p for a in report.actions if a.status == ActionStatus.DONE
                        and (p := session.get(Person, a.verifier_id)) is not None])
    if reason == "sign_off":
        return system_owners(session, report, [t.standard for t in report.standards if t.signed_off_at is None])
    return supervisors(session, report) or system_owners(session, report) or managers(session)


def escalated_to(session: Session, report: Report, reason: str, asked: list[Person]) -> list[Person]:
    if reason == "sign_off":
        group = managers(session)
    elif reason == "verify":
        group = supervisors(session, report) + managers(session)
    else:
        group = managers(session) + system_owners(session, report)
    return unique(group, asked)


# --- the sweep -------------------------------------------------------------------------------------

# What changes the state an owner signs off: only these start a new round of sign-off asks.
SIGN_OFF_STATE_KINDS = ("closing", "action_verified", "root_cause", "sign_offs_cleared", "action_declined")


def _since(session: Session, reports: list[Report], *, sign_off: bool = False) -> dict[int, EvidenceEntry]:
    """Each report's latest step (not Triad's own follow-ups): a chain runs from there."""
    ids = [r.id for r in reports]
    if not ids:
        return {}
    steps = (EvidenceEntry.kind.in_(SIGN_OFF_STATE_KINDS) if sign_off
             else EvidenceEntry.kind.not_in(FOLLOW_UP_KINDS))
    latest = select(EvidenceEntry.report_id, func.max(EvidenceEntry.id).label("id")).where(
        EvidenceEntry.report_id.in_(ids), steps).group_by(EvidenceEntry.report_id).subquery()
    found = session.scalars(select(EvidenceEntry).join(latest, EvidenceEntry.id == latest.c.id))
    return {e.report_id: e for e in found if e.report_id is not None}


def follow_up(session: Session, report: Report, since: EvidenceEntry | None = None) -> int:
    """Send what this report's chain owes now; returns how many stages were sent."""
    reason = waiting_for(report)
    if reason is None:
        return 0
    if reason == "sign_off" or since is None:
        since = _since(session, [report], sign_off=reason == "sign_off").get(report.id)
    if since is None:
        return 0
    urgent = is_urgent(report)
    stages = SIGN_OFF_STAGES if reason == "sign_off" else URGENT_STAGES if urgent else NORMAL_STAGES
    owed = followups.due(session, f"report:{report.id}:waiting:{reason}:{since.id}", since.written_at, stages,
                         working_hours.of_department(session, report.department_id), clock.now(),
                         report_id=report.id, repeat_every=REPEAT_URGENT if urgent else REPEAT_NORMAL,
                         replaces=f"report:{report.id}:waiting:")
    for stage, repeat in owed:
        asked = first_asked(session, report, reason)
        if stage.name == "escalate":
            told = escalated_to(session, report, reason, asked)
            recipients = unique(asked + told) if repeat else told or asked
        else:
            recipients = asked
        if not recipients:
            continue
        kind = {"ask": "sign_off_asked", "remind": "waiting_reminded", "escalate": "waiting_escalated"}[stage.name]
        entry = timeline.record(session, report, None, kind, waiting=reason,
                                people=[p.slack_user_id for p in recipients], since=since.written_at.isoformat())
        events.stepped(session, report, entry)
        reminded = tuple(p.id for p in asked) if stage.name == "escalate" else ()
        for person in recipients:
            announce(session, WaitingNudged(
                working_hours.dm_in_hours(session, f"report:{report.id}:nudge:{entry.id}:{person.id}", person),
                report.id, reason, stage.name, since.written_at, reminded,
                may_sign_off=reason == "sign_off" and stage.name != "escalate"))
    return len(owed)


def sweep(session: Session) -> int:
    reports = list(session.scalars(select(Report).where(Report.status.in_(
        (ReportStatus.NEW, ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING)),
        Report.channel_id.is_not(None)).order_by(Report.id)))  # a report waiting for a channel: the admins are asked
    since = _since(session, reports)
    return sum(follow_up(session, report, since.get(report.id)) for report in reports)


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)


# --- urgent alerts ---------------------------------------------------------------------------------

def alert_if_urgent(session: Session, report: Report, why: str) -> None:
    """An injury (``why`` "injury") or a critical risk ("critical"): the managers and the safety owner,
    at once and whatever the hour. Once per report and reason."""
    recipients = unique(managers(session) + people.people_with_role(session, Role.OWNER, standard=Standard.SAFETY))
    if not recipients or not followups.once(session, f"report:{report.id}:urgent:{why}", clock.now(),
                                                  report_id=report.id):
        return
    entry = timeline.record(session, report, None, "urgent_alert", why=why,
                            people=[p.slack_user_id for p in recipients])
    events.stepped(session, report, entry)
    for person in recipients:
        announce(session, UrgentAlerted(working_hours.dm_in_hours(
            session, f"report:{report.id}:urgent:{why}:{person.id}", person, urgent=True), report.id, why))




# --- leftovers -------------------------------------------------------------------------------------

PURGE_AFTER = timedelta(days=30)


def purge(session: Session) -> int:
    """Chains of reports settled a while ago (closed with no check to come, or rejected), and rows that name
    no report, untouched as long: what ``followups.forget`` did not catch. Returns how many rows went."""
    cutoff = clock.now() - PURGE_AFTER
    settled = select(Report.id).where(Report.status.in_((ReportStatus.CLOSED, ReportStatus.REJECTED)),
                                      Report.closed_at < cutoff, Report.effectiveness_check_on.is_(None))
    gone = session.execute(delete(FollowUp).where(
        FollowUp.report_id.in_(settled) | (FollowUp.report_id.is_(None) & (FollowUp.sent_at < cutoff))))
    return int(getattr(gone, "rowcount", 0) or 0)


def purge_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        purge(s)




# --- asked at once of the supervisor -----------------------------------------------------------------

def _triagers_first(session: Session, report: Report, *, besides: int | None = None) -> list[Person]:
    """The department's supervisor, else the systems' owners, else the managers; never ``besides``."""
    for group in (supervisors(session, report), system_owners(session, report), managers(session)):
        found = [p for p in group if p.id != besides]
        if found:
            return found
    return []


def _asked(session: Session, entry: EvidenceEntry) -> list[Person]:
    return [p for i in entry.detail.get("asked") or [] if (p := session.get(Person, i)) is not None]


def declined_told(session: Session, action: CorrectiveAction) -> list[int]:
    """Who hears of a Can't do (named in its timeline entry, as ``asked``)."""
    return [p.id for p in _triagers_first(session, action.report, besides=action.owner_id)]


def tell_declined(session: Session, action: CorrectiveAction, entry: EvidenceEntry) -> None:
    """Can't do: the supervisor hears now, with the button to assign a new action."""
    for person in _asked(session, entry):
        announce(session, ActionDeclined(working_hours.dm_in_hours(
            session, f"report:{action.report_id}:declined:{entry.id}:{person.id}", person), action.id, entry.id))


def tell_managers_rejected(session: Session, report: Report, entry: EvidenceEntry) -> None:
    """An escalated report rejected: the managers it was escalated to hear why."""
    escalation = session.scalar(select(EvidenceEntry).where(EvidenceEntry.report_id == report.id,
                                                          EvidenceEntry.kind == "escalated")
                                .order_by(EvidenceEntry.id.desc()))
    told = set(escalation.detail.get("people") or []) if escalation else set()
    for person in [p for p in managers(session) if p.slack_user_id in told or not told]:
        if person.id == entry.actor_id:
            continue
        announce(session, EscalatedReportRejected(working_hours.dm_in_hours(
            session, f"report:{report.id}:rejected:{entry.id}:{person.id}", person), report.id, entry.id))
