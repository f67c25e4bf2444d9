"""Back-dated bursts: many records, written within a few days, that say they happened long before (an entry is
back-dated when its stated time is more than bot/evidence/log.py's BACKDATED_AFTER before its writing). One late
report is ordinary; a burst of them is what "records made up before the audit" looks like, so the system owners
are told, the burst is recorded in the log, and the export shows it.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.events import announce
from bot.evidence import log as evidence
from bot.evidence.events import BackdatingBurst
from bot.org import people, working_hours
from bot.runtime import Runtime
from storage.models import EvidenceEntry, Person, Role

WINDOW = timedelta(days=3)  # written within this long of each other...
BURST = 5  # ...this many back-dated records are a burst


def flag(session: Session) -> EvidenceEntry | None:
    """Record and announce a burst among the back-dated entries written in the last WINDOW and not flagged yet."""
    now = clock.now()
    since = now - WINDOW
    last = session.scalar(select(EvidenceEntry.written_at).where(
        EvidenceEntry.domain == "evidence", EvidenceEntry.kind == "backdating_burst")
        .order_by(EvidenceEntry.id.desc()).limit(1))
    found = list(session.execute(select(EvidenceEntry.id, EvidenceEntry.written_at).where(
        EvidenceEntry.backdated.is_(True), EvidenceEntry.written_at > max(since, last or since),
        EvidenceEntry.written_at <= now).order_by(EvidenceEntry.id)))
    if len(found) < BURST:
        return None
    first, latest = found[0].written_at, found[-1].written_at
    days = evidence.BACKDATED_AFTER.days
    burst = evidence.append(session, "evidence", "backdating_burst", detail={
        "count": len(found), "since": first.isoformat(), "until": latest.isoformat(), "days": days,
        "entries": [row.id for row in found]})
    for person in _told(session):
        announce(session, BackdatingBurst(working_hours.dm_in_hours(
            session, f"evidence:{burst.organisation_id}:burst:{burst.id}:{person.id}", person),
            len(found), first, latest, days, burst.id))
    return burst


def _told(session: Session) -> list[Person]:
    """The system owners of every standard, else the administrators."""
    owners = {p.id: p for p in people.people_with_role(session, Role.OWNER)}
    return list(owners.values()) or people.administrators(session)


def sweep_job(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        flag(s)
