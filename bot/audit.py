"""The record of who pressed what: every permission decision, allowed or refused."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import clock
from storage.models import AuditEntry


def record(session: Session, actor_id: int | None, action: str, subject: str | None, *, allowed: bool,
           detail: str | None = None) -> None:
    session.add(AuditEntry(at=clock.now(), actor_id=actor_id, action=action, subject=subject,
                           allowed=allowed, detail=detail))
