"""App Home: each person's start page. Each domain's Slack side adds what waits for the person, and buttons."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import clock, domains, outbox
from bot.i18n import listed, plain, render
from bot.org.people import Actor
from handlers import help
from storage.models import Department, Person, Site
from storage.workspaces import workspace_of


def describe_roles(actor: Actor, session: Session) -> str:
    names = []
    departments = {d.id: d for d in session.scalars(select(Department))}
    for role, dept_id, standard in sorted(actor.roles,
                                          key=lambda r: (r[0].value, r[1] or 0, r[2].value if r[2] else "")):
        names.append(plain(actor.reader, f"common.role.{role.value}",
                           department=departments[dept_id].name(actor.lang) if dept_id in departments else "",
                           standard=plain(actor.reader, f"common.standard_short.{standard.value}") if standard else ""))
    return listed(actor.reader, names)


def home_view(session: Session, actor: Actor) -> dict[str, Any]:
    sides = domains.slack_sides()
    waiting = [item for side in sides for provider in side.home_waiting for item in provider(session, actor)]
    buttons = [button for side in sides for provider in side.home_buttons for button in provider(actor)]
    admin = None
    if actor.is_admin:
        admin = {
            "people": session.scalar(select(func.count()).select_from(Person)),
            "departments": session.scalar(select(func.count()).select_from(Department)),
            "sites": session.scalar(select(func.count()).select_from(Site)),
            "pending": outbox.pending_count(session, workspace_of(session)),  # its own only: the outbox is shared
        }
    return render("home", actor.reader, actor_name=actor.name, roles=describe_roles(actor, session),
                  waiting=waiting[:40], buttons=buttons[:20], command_groups=help.visible_groups(actor),
                  admin=admin, updated=clock.now())
