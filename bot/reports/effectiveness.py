"""Effectiveness checked again later (ISO 9001/14001/45001 10.2: "review the effectiveness of any
corrective action taken"): a closed report gets a date and a checker; on that day the checker is asked,
in their working hours, then reminded and the supervisor told; "not effective" reopens the report.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.followups import Stage
from bot.i18n import zone
from bot.org import people, working_hours
from bot.org.people import Actor
from bot.reports import events, followup, permissions, service, timeline
from bot.reports.errors import ReportError
from bot.reports.events import EffectivenessCheckDue
from bot.runtime import Runtime
from storage.models import EvidenceEntry, Person, Report, ReportStatus

DEFAULT_AFTER = timedelta(days=90)
STAGES = (Stage("ask", 0), Stage("remind", 8), Stage("escalate", 16))
REPEAT_EVERY = 40


def proposal(session: Session, actor: Actor, report_id: int) -> tuple[Report, date, str | None]:
    """What scheduling the check starts from, for someone who may: the date set (or 90 days on) and
    the checker's Slack id."""
    report = _closed_for_triage(session, actor, report_id, "schedule_check")
    due = report.effectiveness_check_on or service.today(session) + DEFAULT_AFTER
    checker = session.get(Person, report.effectiveness_checker_id) if report.effectiveness_checker_id else None
    return report, due, checker.slack_user_id if checker else None


def _closed_for_triage(session: Session, actor: Actor, report_id: int, step: str) -> Report:
    report = service.get(session, report_id)
    permissions.require(session, actor, f"report.{step}", report.reference, permissions.may_triage(actor, report),
                        permissions.TRIAGERS)
    if report.status != ReportStatus.CLOSED:
        raise ReportError("reports.error.stale", reference=report.reference, status=report.status.value)
    return report


def schedule_problems(check_on: date | None, checker_slack_id: str | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if check_on is None:
        problems["due_on"] = "reports.invalid.check_date"
    if not checker_slack_id:
        problems["owner"] = "reports.invalid.checker"
    return problems


def check_schedule(session: Session, actor: Actor, report_id: int, check_on: date | None,
                   checker_slack_id: str | None) -> Report:
    report = _closed_for_triage(session, actor, report_id, "schedule_check")
    problems = schedule_problems(check_on, checker_slack_id)
    if check_on is not None and check_on <= service.today(session):
        problems["due_on"] = "reports.invalid.check_date"
    service.raise_if(problems)
    return report


def schedule(session: Session, actor: Actor, report_id: int, check_on: date | None,
             checker_slack_id: str | None) -> Report:
    report = check_schedule(session, actor, report_id, check_on, checker_slack_id)
    assert check_on is not None and checker_slack_id
    checker = people.find(session, checker_slack_id) or people.register_or_refresh(session, checker_slack_id, None)
    report.effectiveness_check_on, report.effectiveness_checker_id = check_on, checker.id
    events.stepped(session, report, timeline.record(session, report, actor, "effectiveness_scheduled",
                                                   owner=checker.slack_user_id, due=check_on.isoformat()))
    return report


def record(session: Session, actor: Actor, report_id: int, effective: bool) -> Report:
    """The checker's answer (or a triager's): still effective, or not, which sends the report back to triage."""
    report = service.get(session, report_id)
    permissions.require(session, actor, "report.effectiveness", report.reference,
                        actor.id == report.effectiveness_checker_id or permissions.may_triage(actor, report),
                        "reports.who.checker")
    if report.status != ReportStatus.CLOSED or report.effectiveness_check_on is None:
        raise ReportError("reports.error.no_check", reference=report.reference)
    report.effectiveness_check_on = report.effectiveness_checker_id = None
    followups.forget(session, report.id, f"report:{report.id}:effectiveness:")
    if not effective:
        report.status, report.closed_at = ReportStatus.TRIAGE, None
    events.stepped(session, report, timeline.record(session, report, actor, "effectiveness_confirmed" if effective
                                                   else "effectiveness_failed"))
    return report


def sweep(session: Session) -> int:
    today, sent = service.today(session), 0
    tz = zone(people.organisation(session).timezone)
    for report in session.scalars(select(Report).where(Report.status == ReportStatus.CLOSED,
                                                       Report.effectiveness_check_on <= today).order_by(Report.id)):
        checker = session.get(Person, report.effectiveness_checker_id)
        if checker is None or report.effectiveness_check_on is None:
            continue
        start = datetime.combine(report.effectiveness_check_on, time(0), tz)
        owed = followups.due(session, f"report:{report.id}:effectiveness:{report.effectiveness_check_on.isoformat()}",
                             start, STAGES, working_hours.of_department(session, report.department_id), clock.now(),
                             report_id=report.id, repeat_every=REPEAT_EVERY,
                             replaces=f"report:{report.id}:effectiveness:")
        for stage, repeat in owed:
            recipients = [checker]
            if stage.name == "escalate":  # the supervisor (else the managers) hears; a repeat asks the checker too
                above = [p for p in followup.supervisors(session, report) or followup.managers(session)
                         if p.id != checker.id]
                recipients = ([checker] if repeat or not above else []) + above
            entry = timeline.record(session, report, None, "effectiveness_due",
                                    people=[p.slack_user_id for p in recipients])
            events.stepped(session, report, entry)
            for person in recipients:
                _ask(session, report, person, entry)
            sent += 1
    return sent


def _ask(session: Session, report: Report, person: Person, entry: EvidenceEntry) -> None:
    assert report.effectiveness_check_on is not None
    announce(session, EffectivenessCheckDue(working_hours.dm_in_hours(
        session, f"report:{report.id}:effectiveness:{entry.id}:{person.id}", person), report.id))


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)
