"""Which organisation a Slack workspace (team) is.

Installed with one bot token, Triad serves the team of the first request it gets: the organisation (the only
one, loaded from a file or set up in Slack) is bound to that team, and requests of any other team are refused
from then on. Installed through OAuth (bot/installs.py), each team that installs gets its organisation: the
one not bound to a team yet if there is one (today's data, after a move from one token to installs), else a
new one; so does each workspace of an Enterprise Grid org installed org-wide, on its first request.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import clock
from storage.db import Database, remembered
from storage.models import Organisation
from storage.workspaces import DEFAULTS


def serving_team(db: Database, team_id: str, *, enterprise_id: str | None = None,
                 installed: bool = False) -> int | None:
    """The organisation id of ``team_id``; None when Triad does not serve that team.

    ``installed``: Slack's OAuth install of the team (or of its Grid org) was found, so the team is served
    even if it has no organisation yet."""
    with db.read() as s:
        found = remembered(s, ("team", team_id), lambda: _of_team(s, team_id))
        if found is not None:
            return found
        if not installed and _bound_elsewhere(s):
            return None
    try:
        return install(db, team_id, enterprise_id, None, first_only=not installed)
    except IntegrityError:  # a parallel first request of the same team bound it a moment ago
        with db.read() as s:
            return _of_team(s, team_id)


def install(db: Database, team_id: str, enterprise_id: str | None, team_name: str | None, *,
            first_only: bool = False) -> int | None:
    """Bind the team to its organisation: its own, else the one no team has yet, else (unless ``first_only``:
    one token serves only its first team) a new one. Marks it installed again if it had been uninstalled."""
    with db.session() as s:
        org = s.scalar(select(Organisation).where(Organisation.team_id == team_id))
        if org is None:
            if first_only and _bound_elsewhere(s):
                return None
            org = s.scalars(select(Organisation).where(Organisation.team_id.is_(None))
                            .order_by(Organisation.id).limit(1)).first()
        if org is None:
            org = Organisation(**{**DEFAULTS, "name": team_name or DEFAULTS["name"]})
            s.add(org)
        org.team_id, org.enterprise_id = team_id, enterprise_id or org.enterprise_id
        org.uninstalled_at = None
        s.flush()
        return org.id


def uninstalled(db: Database, workspace: int) -> None:
    """Slack took the app (or its token) away from the workspace: nothing more is sent there or scheduled for it
    until it is installed again (the outbox keeps what it owes)."""
    with db.session() as s:
        s.execute(update(Organisation).where(Organisation.id == workspace, Organisation.uninstalled_at.is_(None))
                  .values(uninstalled_at=clock.now()))


def reinstalled(db: Database, workspace: int) -> None:
    """A request of a workspace marked uninstalled: Slack sends requests only where the app is installed."""
    with db.session() as s:
        s.execute(update(Organisation).where(Organisation.id == workspace).values(uninstalled_at=None))


def is_uninstalled(db: Database, workspace: int) -> bool:
    with db.read() as s:
        return remembered(s, ("uninstalled", workspace), lambda: s.scalar(
            select(Organisation.uninstalled_at.is_not(None)).where(Organisation.id == workspace))) or False


def _of_team(session: Session, team_id: str) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.team_id == team_id))


def _bound_elsewhere(session: Session) -> bool:
    """Whether some organisation already serves a team: then an unknown team is not ours."""
    return session.scalar(select(Organisation.id).where(Organisation.team_id.is_not(None)).limit(1)) is not None


def all_workspaces(db: Database) -> list[int]:
    """The workspaces the scheduler works for: those where Triad is installed."""
    with db.read() as s:
        return list(s.scalars(select(Organisation.id).where(Organisation.uninstalled_at.is_(None))
                              .order_by(Organisation.id)))
