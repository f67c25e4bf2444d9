"""Who may export the evidence: managers, the owner of any standard's system, and administrators.

Every decision, allowed or refused, is recorded in the evidence log (bot/audit.py) under one step."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import audit
from bot.org.people import Actor
from bot.reports.errors import NotAllowed
from storage.models import Standard

STEP = "evidence.export"
EXPORTERS = "export_form.exporters"  # the text naming who may, in the refusal


def may_export(actor: Actor) -> bool:
    return actor.is_manager or actor.is_admin or bool(actor.owned_standards)


def may_see_injuries(actor: Actor) -> bool:
    """How someone was hurt goes into an export only for those who may see it on a report (bot/reports/permissions.py:
    managers and the safety owner; a supervisor sees their department's, but does not export)."""
    return actor.is_manager or actor.owns(Standard.SAFETY)


def require_exporter(session: Session, actor: Actor, subject: str | None = None, detail: str | None = None) -> None:
    """Record the decision; raise NotAllowed (naming who may) for anyone else."""
    allowed = may_export(actor)
    audit.record(session, actor.id, STEP, subject, allowed=allowed, detail=detail)
    if not allowed:
        raise NotAllowed(EXPORTERS)
