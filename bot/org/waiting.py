"""Reports waiting for a triage channel never wait silently: each administrator is reminded once per working
day of theirs, while they work, as long as a report has waited a day or more.

Runs every 30 minutes (and in the sandbox right after its clock moves). When Triad knows no
administrator yet (Slack could not say who administers the workspace when the report was filed),
it asks Slack again first, outside any transaction.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot import clock, outbox
from bot.events import Dm, announce
from bot.org import people, settings, working_hours
from bot.org.events import ChannelAsked
from bot.reports import service
from bot.runtime import Runtime

REMIND_AFTER = timedelta(days=1)


def remind(session: Session) -> int:
    """Remind each administrator now at work, once per working day, of the reports that have waited a day or
    more; returns how many were reminded."""
    now = clock.now()
    waited = [r for r in service.waiting(session) if now - r.created_at >= REMIND_AFTER]
    if not waited:
        return 0
    days = (now - waited[0].created_at) // timedelta(days=1)
    reminded = 0
    for admin in people.administrators(session):
        day = working_hours.of(session, admin).working_day(now)
        key = f"setup:waiting:{admin.id}:{day.isoformat()}" if day is not None else None
        if key is not None and not outbox.owed(session, key):  # the day's one reminder
            announce(session, ChannelAsked(Dm(admin.id, key), waited[0].reference, days=days, count=len(waited)))
            reminded += 1
    return reminded


def learn_workspace_admins(runtime: Runtime) -> bool:
    """When reports wait and Triad knows no administrator yet, ask Slack who administers the workspace
    (outside any transaction) and ask them; False when nobody could be found."""
    with runtime.db.read() as s:
        if not service.waiting(s) or people.administrators(s):
            return True
    profiles = runtime.gateway.workspace_admins()
    if not profiles:
        return False
    with runtime.db.session() as s:
        settings.register_workspace_admins(s, profiles)
    return True


def sweep_job(runtime: Runtime) -> None:
    learn_workspace_admins(runtime)
    with runtime.db.session() as s:
        remind(s)
