"""Reading and acknowledging: the person opens the document, answers the check, and attests.

An acknowledgment is written to the evidence log complete: who, with their department and roles at that moment,
the version and the hash of its content, the attestation sentence as shown and its language, whether the document
was opened, the check's attempts. Only the version in force can be acknowledged: a card for one superseded or
retired is answered with the current one (``CardOffered``) and changes nothing else.
"""
from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.events import Dm, announce
from bot.evidence import log as evidence
from bot.i18n import Reader, plain
from bot.org.people import Actor
from bot.procedures import distribution, reminders, service
from bot.procedures.events import Acknowledged, Card, CardOffered
from bot.reports.errors import ReportError
from storage.models import (
    Acknowledgment,
    AckStatus,
    Department,
    Person,
    ProcedureStatus,
    ProcedureVersion,
    RoleAssignment,
)


class Outcome(str, enum.Enum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"  # a double click, Slack's retry: recorded once
    WRONG = "wrong"  # the check: some answers are not right
    SUPERSEDED = "superseded"  # the card is for an older version: the current one was offered
    RETIRED = "retired"
    NOT_OWED = "not_owed"  # not in its audience (any more)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    version: ProcedureVersion
    wrong: tuple[int, ...] = field(default=())  # the positions of the questions answered wrongly
    ack: Acknowledgment | None = None
    pressed: str | None = None  # superseded: the version the card was for (``version`` is the one in force)


def attestation(reader: Reader, version: ProcedureVersion) -> str:
    """The sentence a person attests, as the card and the check show it."""
    return plain(reader, "procedures.attestation", code=version.procedure.code, title=version.title(reader.lang),
                 version=version.version)


def owed(session: Session, actor: Actor, procedure_id: int, *, lock: bool = False) -> Acknowledgment | None:
    query = select(Acknowledgment).where(Acknowledgment.procedure_id == procedure_id,
                                         Acknowledgment.person_id == actor.id)
    return session.scalar(query.with_for_update() if lock else query)


def refusal(session: Session, actor: Actor, version_id: int) -> Result | None:
    """None when the person may acknowledge this version now; else why not. Only reads: a form checks it before
    its answer; ``acknowledge`` again before it writes, and offers the current version for a superseded one."""
    version = service.version(session, version_id)
    current = service.in_force(version.procedure)
    ack = owed(session, actor, version.procedure_id)
    if current is None:
        return Result(Outcome.RETIRED, version)
    if ack is None or not ack.required:
        return Result(Outcome.NOT_OWED, version)
    if ack.status == AckStatus.ACKNOWLEDGED and ack.version_id == version.id:
        return Result(Outcome.ALREADY, version, ack=ack)
    if current.id != version.id:
        return Result(Outcome.SUPERSEDED, current, ack=ack, pressed=version.version)
    return None


def offer(session: Session, actor: Actor, ack: Acknowledgment, superseded: str | None = None) -> None:
    """The card of the version owed, sent again now (they are at their desk: they just asked)."""
    key = f"{ack.card_key or distribution.card_key(ack)}:again:{int(clock.now().timestamp() * 1000)}"
    announce(session, CardOffered(ack.version_id, Card(ack.id, Dm(actor.id, key), ack.acknowledged_version_id),
                                  superseded))


def opened(session: Session, actor: Actor, version_id: int) -> None:
    """The document was opened from the card: recorded once per version owed."""
    version = service.version(session, version_id)
    ack = owed(session, actor, version.procedure_id)
    if ack is None or ack.version_id != version.id or ack.opened_at is not None:
        return
    ack.opened_at = clock.now()
    evidence.append(session, service.DOMAIN, "procedure_opened", actor_id=actor.id,
                    subject=f"{version.procedure.code} {version.version}", detail={"version_id": version.id})


def acknowledge(session: Session, actor: Actor, version_id: int, answers: tuple[int | None, ...] = ()) -> Result:
    """Attest the version (after answering its check, when it has one); every attempt is recorded."""
    version = service.version(session, version_id)
    owed(session, actor, version.procedure_id, lock=True)  # a double click waits here, then finds it done
    refused = refusal(session, actor, version_id)
    if refused is not None:
        if refused.outcome == Outcome.SUPERSEDED and refused.ack is not None:
            offer(session, actor, refused.ack, superseded=refused.pressed)
        return refused
    ack = owed(session, actor, version.procedure_id)
    assert ack is not None
    questions = version.questions
    if questions and len(answers) != len(questions):
        raise ReportError("procedures.error.answer_all")
    wrong = tuple(n for n, (q, a) in enumerate(zip(questions, answers, strict=False)) if a != q.answer)
    subject = f"{version.procedure.code} {version.version}"
    if questions:
        ack.attempts += 1
        evidence.append(session, service.DOMAIN, "check_answered", actor_id=actor.id, subject=subject, detail={
            "version_id": version.id, "attempt": ack.attempts, "answers": list(answers),
            "questions": [q.id for q in questions], "wrong": list(wrong), "passed": not wrong})
    if wrong:
        session.flush()
        return Result(Outcome.WRONG, version, wrong, ack)
    now = clock.now()
    person = session.get(Person, actor.id)
    assert person is not None
    department = session.get(Department, person.department_id) if person.department_id else None
    roles = sorted({r.role.value for r in session.scalars(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id))})
    entry = evidence.append(session, service.DOMAIN, "procedure_acknowledged", actor_id=actor.id, subject=subject,
                            detail={
        "version_id": version.id, "content_hash": version.content_hash, "person": person.name_en,
        "slack_user_id": person.slack_user_id, "department": department.code if department else None,
        "department_name": department.name_en if department else None, "roles": roles,
        "attestation": attestation(actor.reader, version), "language": actor.reader.lang,
        "opened": ack.opened_at is not None, "opened_at": ack.opened_at.isoformat() if ack.opened_at else None,
        "check": {"questions": len(questions), "attempts": ack.attempts} if questions else None,
        "reason": ack.reason, "due_on": ack.due_on.isoformat(), "late": service.today(session) > ack.due_on})
    ack.status, ack.acknowledged_at, ack.acknowledged_version_id = AckStatus.ACKNOWLEDGED, now, version.id
    ack.first_try = (ack.attempts == 1) if questions else None
    ack.evidence_id = entry.id
    reminders.settle(session, ack)
    ack.renew_on = (_add_months(service.today(session), version.renew_months) if version.renew_months else None)
    session.flush()
    announce(session, Acknowledged(ack.id, version.id, actor.id))
    return Result(Outcome.ACKNOWLEDGED, version, ack=ack)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def pending_of(session: Session, actor: Actor) -> list[Acknowledgment]:
    """What the person must read, deadline first."""
    return list(session.scalars(
        select(Acknowledgment).join(ProcedureVersion, Acknowledgment.version_id == ProcedureVersion.id)
        .where(Acknowledgment.person_id == actor.id, Acknowledgment.required.is_(True),
               Acknowledgment.status == AckStatus.PENDING, ProcedureVersion.status == ProcedureStatus.PUBLISHED)
        .order_by(Acknowledgment.due_on, Acknowledgment.id)))


def acknowledged_by(session: Session, actor: Actor) -> list[Acknowledgment]:
    return list(session.scalars(select(Acknowledgment).where(
        Acknowledgment.person_id == actor.id, Acknowledgment.status == AckStatus.ACKNOWLEDGED,
        Acknowledgment.required.is_(True)).order_by(Acknowledgment.acknowledged_at.desc())))
