"""Nothing owed waits silently: pending acknowledgments are reminded every few working days, then escalated to the
person's supervisor, then to the system owner (bot/procedures/schedule.py), each in its reader's working hours.

One DM per person (every procedure they owe), per supervisor and per owner (everyone they answer for), per sweep:
a plant with 500 people behind on a procedure sends its supervisor one list, not 500 messages. The chains are
bot/followups.py's, one per acknowledgment and version owed, deleted when it is acknowledged.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import Dm, announce
from bot.followups import Stage
from bot.hours import WorkingTime
from bot.i18n import zone
from bot.org import people, working_hours
from bot.org.people import Actor
from bot.procedures import coverage, distribution, permissions, schedule
from bot.procedures.events import Escalated, Reminded
from bot.runtime import Runtime
from storage.models import (
    Acknowledgment,
    AckStatus,
    FollowUp,
    Person,
    ProcedureStatus,
    ProcedureVersion,
    Role,
    Standard,
)

PREFIX = "ack:"


def chain(ack: Acknowledgment) -> str:
    """The key prefix of the chains chasing this acknowledgment for the version (and the asking) it owes."""
    return f"{PREFIX}{ack.id}:{ack.version_id}:{int(ack.assigned_at.timestamp())}"


def settle(session: Session, ack: Acknowledgment) -> None:
    followups.forget_chains(session, f"{PREFIX}{ack.id}:")


def _deadline_passed(session: Session, ack: Acknowledgment) -> datetime:
    tz = zone(people.settings_of(session).timezone)
    return datetime.combine(ack.due_on + timedelta(days=1), time(0), tz)


def sweep(session: Session) -> dict[str, int]:
    """Renewals, joiners and moves first (they owe cards), then the reminders and escalations owed now."""
    renewed = distribution.renew(session)
    reconciled = distribution.reconcile(session)
    now, plan = clock.now(), schedule.of(session)
    pending = list(session.execute(
        select(Acknowledgment, Person, ProcedureVersion)
        .join(Person, Acknowledgment.person_id == Person.id)
        .join(ProcedureVersion, Acknowledgment.version_id == ProcedureVersion.id)
        .where(Acknowledgment.status == AckStatus.PENDING, Acknowledgment.required.is_(True),
               ProcedureVersion.status == ProcedureStatus.PUBLISHED)
        .order_by(Acknowledgment.id)))
    if pending:
        list(session.scalars(select(FollowUp).where(FollowUp.key.startswith(PREFIX))))  # one read, then from memory
    times: dict[tuple[Any, ...], WorkingTime] = {}

    def working(person: Person) -> WorkingTime:
        key = (person.working_hours, person.department_id, person.timezone)
        if key not in times:
            times[key] = working_hours.of(session, person)
        return times[key]

    reminders: dict[int, list[int]] = defaultdict(list)
    escalations: dict[tuple[str, int], list[int]] = defaultdict(list)
    every = plan.hours(plan.remind_every_days)
    for ack, person, version in pending:
        if followups.due(session, f"{chain(ack)}:remind", ack.assigned_at, [Stage("remind", every)], working(person),
                         now, report_id=None, repeat_every=every):
            reminders[person.id].append(ack.id)
        passed = _deadline_passed(session, ack)
        if passed > now:
            continue
        stages = [Stage("supervisor", plan.hours(plan.supervisor_after_days)),
                  Stage("owner", plan.hours(plan.owner_after_days))]
        for stage, _repeat in followups.due(session, f"{chain(ack)}:overdue", passed, stages, working(person), now,
                                            report_id=None, repeat_every=every):
            for level, recipient in _answerable(session, person, version, stage.name):
                escalations[(level, recipient)].append(ack.id)
    stamp = now.strftime("%Y%m%d%H%M")
    for person_id, ack_ids in reminders.items():
        announce(session, Reminded(_dm(session, person_id, f"procedures:remind:{person_id}:{stamp}"), tuple(ack_ids)))
    for (level, recipient), ack_ids in escalations.items():
        announce(session, Escalated(_dm(session, recipient, f"procedures:escalate:{level}:{recipient}:{stamp}"),
                                    tuple(dict.fromkeys(ack_ids)), level))
    return {"renewed": renewed, "reconciled": reconciled, "reminded": len(reminders), "escalated": len(escalations)}


def _answerable(session: Session, person: Person, version: ProcedureVersion, level: str) -> list[tuple[str, int]]:
    """Who hears that ``person`` is overdue at this level: their supervisors (none: the system owners), or the owners
    of the systems the procedure serves (none: the procedure's owner)."""
    if level == "supervisor" and person.department_id is not None:
        supervisors = [p.id for p in people.people_with_role(session, Role.SUPERVISOR,
                                                             department_id=person.department_id) if p.id != person.id]
        if supervisors:
            return [("supervisor", s) for s in supervisors]
    owners = {p.id for s in version.standards for p in people.people_with_role(session, Role.OWNER,
                                                                                standard=Standard(s))}
    owners.discard(person.id)
    return [("owner", o) for o in sorted(owners or {version.procedure.owner_id})]


def _dm(session: Session, person_id: int, key: str) -> Dm:
    someone = session.get(Person, person_id)
    assert someone is not None
    return working_hours.dm_in_hours(session, key, someone)


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)


def nudge(session: Session, actor: Actor, *, procedure_id: int | None, department_id: int | None) -> int:
    """A supervisor, an owner or a manager reminds everyone still missing (of one procedure, one department) now:
    each hears once a day from them, in their own working hours. Returns how many were reminded."""
    allowed = (permissions.may_see_coverage(actor, department_id) if department_id is not None
               else permissions.may_see_coverage(actor))
    permissions.require(session, actor, "nudge", f"procedure:{procedure_id or '*'}/department:{department_id or '*'}",
                        allowed, permissions.COVERAGE)
    scope = permissions.coverage_departments(actor)
    owed: dict[int, list[int]] = defaultdict(list)
    for missing in coverage.missing(session, procedure_id=procedure_id, department_id=department_id,
                                    departments=scope):
        if missing.person_id != actor.id:
            owed[missing.person_id].append(missing.ack_id)
    day = clock.now().strftime("%Y%m%d")
    for person_id, ack_ids in owed.items():
        key = f"procedures:nudge:{actor.id}:{person_id}:{day}:{procedure_id or 0}:{department_id or 0}"
        announce(session, Reminded(_dm(session, person_id, key), tuple(ack_ids), nudged_by=actor.id))
    return len(owed)
