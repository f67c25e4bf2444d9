"""The record of who pressed what: every permission decision, allowed or refused, as an entry of the evidence log.

A decision taken from a read (a form checked before its ack, so the ack never waits for the write
lock) cannot be written there: it is kept on the session, and the caller writes it after the ack
when it ends the story (a refusal). An allowed decision is recorded again by the write that follows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.evidence import log as evidence
from storage.db import is_read_only
from storage.models import EvidenceEntry

DEFERRED = "audit_deferred"
DOMAIN = "access"  # the evidence log's domain for permission decisions


@dataclass(frozen=True)
class Decision:
    at: datetime
    actor_id: int | None
    step: str  # e.g. report.assess_risk, setup.channels
    subject: str | None
    allowed: bool
    detail: str | None = None


def record(session: Session, actor_id: int | None, action: str, subject: str | None, *, allowed: bool,
           detail: str | None = None) -> None:
    decision = Decision(clock.now(), actor_id, action, subject, allowed, detail)
    if is_read_only(session):
        session.info.setdefault(DEFERRED, []).append(decision)
    else:
        write(session, decision)


def write(session: Session, decision: Decision) -> None:
    evidence.append(session, DOMAIN, "allowed" if decision.allowed else "refused", actor_id=decision.actor_id,
                    subject=decision.subject, written_at=decision.at,
                    detail={"step": decision.step, **({"detail": decision.detail} if decision.detail else {})})


def deferred(session: Session) -> list[Decision]:
    """The decisions a read took, to be written later; taken off the session."""
    decisions: list[Decision] = session.info.pop(DEFERRED, [])
    return decisions


def decisions(session: Session) -> list[Decision]:
    """Every decision recorded in this workspace, oldest first."""
    return [Decision(e.written_at, e.actor_id, e.detail["step"], e.subject, e.kind == "allowed", e.detail.get("detail"))
            for e in session.scalars(select(EvidenceEntry).where(EvidenceEntry.domain == DOMAIN)
                                     .order_by(EvidenceEntry.id))]
