"""The record of who pressed what: every permission decision, allowed or refused.

A decision taken from a read (a form checked before its ack, so the ack never waits for the write
lock) cannot be written there: it is kept on the session, and the caller writes it after the ack
when it ends the story (a refusal). An allowed decision is recorded again by the write that follows.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import clock
from storage.db import is_read_only
from storage.models import AuditEntry

DEFERRED = "audit_deferred"


def record(session: Session, actor_id: int | None, action: str, subject: str | None, *, allowed: bool,
           detail: str | None = None) -> None:
    entry = AuditEntry(at=clock.now(), actor_id=actor_id, action=action, subject=subject, allowed=allowed,
                       detail=detail)
    if is_read_only(session):
        session.info.setdefault(DEFERRED, []).append(entry)
    else:
        session.add(entry)


def deferred(session: Session) -> list[AuditEntry]:
    """The decisions a read took, to be written later; taken off the session."""
    entries: list[AuditEntry] = session.info.pop(DEFERRED, [])
    return entries
