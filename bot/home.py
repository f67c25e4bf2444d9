"""App Home: each person's start page. Domains contribute what waits for a person and buttons."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import clock, help, outbox
from bot.i18n import listed, plain, render
from bot.org.people import Actor
from storage.models import Department, Person, Site

# fn(session, actor) -> list of {"text": mrkdwn, "button": {"action_id", "value", "label"} | None}
WaitingProvider = Callable[[Session, Actor], list[dict[str, Any]]]
# fn(actor) -> list of {"action_id", "label", "style"?}
ButtonProvider = Callable[[Actor], list[dict[str, Any]]]

WAITING: list[WaitingProvider] = []
BUTTONS: list[ButtonProvider] = []


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
    waiting = [item for provider in WAITING for item in provider(session, actor)]
    buttons = [button for provider in BUTTONS for button in provider(actor)]
    admin = None
    if actor.is_admin:
        admin = {
            "people": session.scalar(select(func.count()).select_from(Person)),
            "departments": session.scalar(select(func.count()).select_from(Department)),
            "sites": session.scalar(select(func.count()).select_from(Site)),
            "pending": outbox.pending_count(session),
        }
    return render("home", actor.reader, actor_name=actor.name, roles=describe_roles(actor, session),
                  waiting=waiting[:40], buttons=buttons[:20], command_groups=help.visible_groups(actor),
                  admin=admin, updated=clock.now())
