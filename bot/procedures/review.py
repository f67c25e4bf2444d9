"""Review-by dates: a procedure's owner is reminded a month and a week before its version in force is due for
review, and on the day it passes; an overdue review stays on the owner's Home until a new version is published."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.org import working_hours
from bot.procedures import service
from bot.procedures.events import ReviewDue
from bot.runtime import Runtime
from storage.models import Person, ProcedureStatus, ProcedureVersion

BEFORE = (30, 7)  # days before the review-by date the owner is reminded
OVERDUE_EVERY = 7  # days between reminders once it has passed


def in_force(session: Session) -> list[ProcedureVersion]:
    return list(session.scalars(select(ProcedureVersion).where(
        ProcedureVersion.status == ProcedureStatus.PUBLISHED, ProcedureVersion.review_by.is_not(None))
        .order_by(ProcedureVersion.review_by)))


def overdue(session: Session, owner_id: int | None = None, today: date | None = None) -> list[ProcedureVersion]:
    today = today or service.today(session)
    return [v for v in in_force(session) if v.review_by is not None and v.review_by < today
            and (owner_id is None or v.procedure.owner_id == owner_id)]


def sweep(session: Session) -> int:
    today, now, told = service.today(session), clock.now(), 0
    for version in in_force(session):
        assert version.review_by is not None
        days = (version.review_by - today).days
        if days < 0:
            occasion = f"overdue:{(-days - 1) // OVERDUE_EVERY}"
        else:
            occasion = next((f"before:{d}" for d in sorted(BEFORE) if days <= d), "")
            if not occasion:
                continue
        key = f"procedure:{version.id}:review:{version.review_by.isoformat()}:{occasion}"
        if not followups.once(session, key, now, report_id=None):
            continue
        owner = session.get(Person, version.procedure.owner_id)
        if owner is not None:
            announce(session, ReviewDue(working_hours.dm_in_hours(session, key, owner), version.id, days))
            told += 1
    return told


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        sweep(s)
