"""Which organisation a Slack workspace (team) is.

Installed with a bot token for one workspace, Triad serves the team of the first request it gets: the
organisation (the only one, loaded from a file or set up in Slack) is bound to that team, and requests of any
other team are refused from then on.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database, remembered
from storage.models import Organisation
from storage.workspaces import DEFAULTS


def serving_team(db: Database, team_id: str) -> int | None:
    """The organisation id of ``team_id``; None when Triad does not serve that team."""
    with db.read() as s:
        found = remembered(s, ("team", team_id), lambda: _of_team(s, team_id))
        if found is not None:
            return found
        if _bound_elsewhere(s):
            return None
    with db.session() as s:  # the single workspace's first request: bind it to this team
        found = _of_team(s, team_id)
        if found is None and not _bound_elsewhere(s):
            org = s.scalars(select(Organisation).order_by(Organisation.id).limit(1)).first()
            if org is None:
                org = Organisation(**DEFAULTS)
                s.add(org)
            org.team_id = team_id
            s.flush()
            found = org.id
        return found


def _of_team(session: Session, team_id: str) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.team_id == team_id))


def _bound_elsewhere(session: Session) -> bool:
    """Whether some organisation already serves a team: then an unknown team is not ours."""
    return session.scalar(select(Organisation.id).where(Organisation.team_id.is_not(None)).limit(1)) is not None


def all_workspaces(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Organisation.id).order_by(Organisation.id)))
