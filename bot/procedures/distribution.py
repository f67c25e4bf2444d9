"""Who owes which version, kept true as procedures change and people join or move; and the cards that ask them.

One ``Acknowledgment`` row per procedure and person. Publishing a version, a joiner or a move, and a renewal all
come here: the rows of the audience are made or brought up to date in bulk, and each person who now owes the
version gets a card (``CardsOwed``), held until their working hours. A minor revision asks nobody who has already
acknowledged; a major one makes everyone's acknowledgment pending again (it stops counting for coverage).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot import clock
from bot.events import Dm, announce
from bot.hours import WorkingTime
from bot.i18n import zone
from bot.org import people, working_hours
from bot.procedures import audience as audiences
from bot.procedures.events import Card, CardsOwed
from bot.procedures.values import Audience
from storage.models import Acknowledgment, AckStatus, Person, ProcedureStatus, ProcedureVersion


def audience_size(session: Session, version: ProcedureVersion) -> int:
    return session.scalar(select(func.count()).select_from(Person).where(
        audiences.condition(Audience.of(version.audience)))) or 0


def _today(session: Session) -> date:
    return clock.now().astimezone(zone(people.settings_of(session).timezone)).date()


def card_key(ack: Acknowledgment) -> str:
    """The outbox key of the card asking for this version, this time; known before the row has its id, so 5,000
    new rows are written once, not written and then updated."""
    return f"ack:{ack.procedure_id}:{ack.person_id}:card:{ack.version_id}:{int(ack.assigned_at.timestamp())}"


def distribute(session: Session, version: ProcedureVersion, reason: str,
               person_ids: set[int] | None = None) -> int:
    """Bring the rows of ``version``'s procedure up to date with its audience (only ``person_ids``' when given) and
    send a card to each person who now owes it; returns how many were asked."""
    now, today = clock.now(), _today(session)
    members = set(session.scalars(audiences.members(Audience.of(version.audience))))
    rows_query = select(Acknowledgment).where(Acknowledgment.procedure_id == version.procedure_id)
    if person_ids is not None:
        members &= person_ids
        rows_query = rows_query.where(Acknowledgment.person_id.in_(person_ids))
    rows = {a.person_id: a for a in session.scalars(rows_query)}
    for person_id, row in rows.items():
        if person_id not in members:
            row.required = False
    owed: list[tuple[Acknowledgment, int | None]] = []
    due = today + timedelta(days=version.deadline_days)
    for person_id in sorted(members):
        existing = rows.get(person_id)
        if existing is None:
            row = Acknowledgment(procedure_id=version.procedure_id, person_id=person_id, version_id=version.id,
                                 required=True, status=AckStatus.PENDING, reason=reason, assigned_at=now,
                                 due_on=due, attempts=0)
            row.card_key = card_key(row)
            session.add(row)
            owed.append((row, None))
            continue
        row = existing
        rejoined = not row.required
        row.required = True
        if row.version_id == version.id and not rejoined:
            continue  # nothing changed for them
        if row.status == AckStatus.ACKNOWLEDGED and (not version.major or row.version_id == version.id):
            continue  # a minor revision: what they acknowledged still counts
        since = row.acknowledged_version_id
        if row.status == AckStatus.ACKNOWLEDGED or rejoined:
            row.due_on, row.reason = due, reason
        row.status, row.version_id, row.assigned_at = AckStatus.PENDING, version.id, now
        row.opened_at, row.attempts, row.first_try = None, 0, None
        owed.append((row, since))
    session.flush()
    _send(session, version, owed)
    return len(owed)


def _send(session: Session, version: ProcedureVersion, owed: list[tuple[Acknowledgment, int | None]]) -> None:
    if not owed:
        return
    reach = reach_times(session, [row.person_id for row, _ in owed])
    cards = []
    for row, since in owed:
        key = card_key(row)
        replaces = row.card_key if row.card_key != key and row.status == AckStatus.PENDING else None
        if replaces is not None or row.card_key is None:
            row.card_key = key
        cards.append(Card(row.id, Dm(row.person_id, key, reach.get(row.person_id)), since, replaces))
    session.flush()
    announce(session, CardsOwed(version.id, tuple(cards)))


def reach_times(session: Session, person_ids: list[int]) -> dict[int, datetime]:
    """When each person may next be messaged (their working hours, in their zone), working out each distinct
    schedule once: a plant of 5,000 people has a handful."""
    now = clock.now()
    found: dict[int, datetime] = {}
    times: dict[tuple[Any, ...], WorkingTime] = {}
    for chunk in range(0, len(person_ids), 1000):
        for person in session.scalars(select(Person).where(Person.id.in_(person_ids[chunk:chunk + 1000]))):
            key = (person.working_hours, person.department_id, person.timezone)
            if key not in times:
                times[key] = working_hours.of(session, person)
            found[person.id] = times[key].next_working_moment(now)
    return found


def reconcile(session: Session, person_ids: set[int] | None = None) -> int:
    """Joiners, moves and leavers: every version in force against its audience now (``person_ids``: only theirs).
    Returns how many cards were sent."""
    sent = 0
    for version in session.scalars(select(ProcedureVersion).where(
            ProcedureVersion.status == ProcedureStatus.PUBLISHED).order_by(ProcedureVersion.id)):
        members = set(session.scalars(audiences.members(Audience.of(version.audience))))
        known = dict(session.execute(select(Acknowledgment.person_id, Acknowledgment.required).where(
            Acknowledgment.procedure_id == version.procedure_id)).all())
        changed = {p for p in members if not known.get(p)} | {p for p, required in known.items()
                                                               if required and p not in members}
        if person_ids is not None:
            changed &= person_ids
        if not changed:
            continue
        # Someone Triad first knew after the version was published joined; anyone else moved into its audience.
        joined = set(session.scalars(select(Person.id).where(Person.id.in_(changed),
                                                              Person.created_at >= version.published_at)))
        if joined:
            sent += distribute(session, version, "joined", joined)
        if changed - joined:
            sent += distribute(session, version, "moved", changed - joined)
    return sent


def renew(session: Session) -> int:
    """Acknowledgments whose renewal date has come are owed again, with a new deadline."""
    today, now = _today(session), clock.now()
    due = list(session.scalars(select(Acknowledgment).options(selectinload(Acknowledgment.version)).where(
        Acknowledgment.status == AckStatus.ACKNOWLEDGED, Acknowledgment.required.is_(True),
        Acknowledgment.renew_on.is_not(None), Acknowledgment.renew_on <= today)))
    by_version: dict[int, list[tuple[Acknowledgment, int | None]]] = {}
    for row in due:
        current = session.scalar(select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == row.procedure_id, ProcedureVersion.status == ProcedureStatus.PUBLISHED))
        if current is None:
            continue
        since = row.acknowledged_version_id
        row.status, row.version_id, row.reason, row.assigned_at = AckStatus.PENDING, current.id, "renewal", now
        row.due_on = today + timedelta(days=current.deadline_days)
        row.opened_at, row.attempts, row.first_try, row.renew_on = None, 0, None, None
        by_version.setdefault(current.id, []).append((row, since if since != current.id else None))
    session.flush()
    for version_id, owed in by_version.items():
        _send(session, session.get(ProcedureVersion, version_id), owed)  # type: ignore[arg-type]
    return len(due)
