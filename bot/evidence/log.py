"""Writing the evidence log: one entry per state change, in the unit of work that makes the change.

An entry is sealed into its workspace's chain when that unit commits (storage/chain.py); it is never edited or
deleted, and a correction is a new entry naming the one it corrects.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import clock
from storage.models.evidence import EvidenceEntry

# A record stated to have happened this much earlier than it was written is back-dated: an incident filed a
# week late, an answer recorded for last month. Not wrong in itself; a burst of them is what auditors look for.
BACKDATED_AFTER = timedelta(days=7)


def append(session: Session, domain: str, kind: str, *, actor_id: int | None = None, subject: str | None = None,
           report_id: int | None = None, action_id: int | None = None, stated_at: datetime | None = None,
           corrects: EvidenceEntry | None = None, written_at: datetime | None = None,
           detail: dict[str, Any] | None = None) -> EvidenceEntry:
    """Record a change; ``actor_id`` None is Triad itself (or an anonymous reporter, who is never named).
    ``written_at``: the server's time, unless coarsened on purpose (an anonymous filing, to the hour)."""
    now = clock.now()
    entry = EvidenceEntry(written_at=written_at or now, stated_at=stated_at, actor_id=actor_id, domain=domain,
                          kind=kind, subject=subject, report_id=report_id, action_id=action_id,
                          corrects_id=corrects.id if corrects is not None else None,
                          backdated=is_backdated(stated_at, now), detail=dict(detail or {}))
    session.add(entry)
    session.flush()
    return entry


def is_backdated(stated_at: datetime | None, written_at: datetime) -> bool:
    return stated_at is not None and written_at - stated_at > BACKDATED_AFTER

