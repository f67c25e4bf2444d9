"""Who may do what with procedures. Every decision, allowed or refused, is recorded (bot/audit.py).

- Manage the register (create, edit a draft, publish, revise, retire): an administrator, a system owner, and for
  an existing procedure its own owner; a system owner manages the procedures of the systems they own (a new one,
  any it serves), an administrator all.
- Coverage and nudges: managers, administrators and system owners for every department; supervisors for theirs.
- Acknowledging: the person it is owed by, for themselves only.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import audit
from bot.org.people import Actor
from bot.reports.errors import NotAllowed
from storage.models import Procedure, ProcedureVersion, Standard

MANAGERS = "procedures.who.managers"
COVERAGE = "procedures.who.coverage"


def may_create(actor: Actor) -> bool:
    return actor.is_admin or bool(actor.owned_standards)


def may_manage(actor: Actor, procedure: Procedure | None, version: ProcedureVersion | None = None) -> bool:
    if actor.is_admin:
        return True
    if procedure is not None and procedure.owner_id == actor.id:
        return True
    standards = [Standard(s) for s in (version.standards if version is not None else [])]
    return any(actor.owns(s) for s in standards) if standards else may_create(actor) and procedure is None


def may_see_coverage(actor: Actor, department_id: int | None = None) -> bool:
    """``department_id`` None: every department's."""
    if actor.is_admin or actor.is_manager or actor.owned_standards:
        return True
    return actor.supervises(department_id) if department_id is not None else bool(actor.supervised_departments)


def coverage_departments(actor: Actor) -> list[int] | None:
    """The departments whose coverage the person sees; None: all of them."""
    if actor.is_admin or actor.is_manager or actor.owned_standards:
        return None
    return actor.supervised_departments


def require(session: Session, actor: Actor, step: str, subject: str | None, allowed: bool, who: str) -> None:
    audit.record(session, actor.id, f"procedure.{step}", subject, allowed=allowed)
    if not allowed:
        raise NotAllowed(who)
