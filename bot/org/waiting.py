"""Reports waiting for a triage channel never wait silently: the administrators are reminded each day.

Runs every 30 minutes (and in the sandbox right after its clock moves). When Triad knows no
administrator yet (Slack could not say who administers the workspace when the report was filed),
it asks Slack again first, outside any transaction.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot import clock, jobs, scheduler
from bot.org import people, settings
from bot.reports import notify, service
from bot.runtime import current

REMIND_EVERY = timedelta(days=1)


def remind(session: Session) -> int:
    """Remind the administrators of each report that has waited another day; returns how many reports."""
    reminded = 0
    for report in service.waiting(session):
        days = (clock.now() - report.created_at) // REMIND_EVERY
        if days >= 1:
            notify.ask_admins(session, report, days_waited=days)
            reminded += 1
    return reminded


def sweep_job() -> None:
    runtime = current()
    with runtime.db.session() as s:
        unknown = bool(service.waiting(s)) and not people.administrators(s)
    if unknown:
        profiles = runtime.gateway.workspace_admins()
        if profiles:
            with runtime.db.session() as s:
                settings.register_workspace_admins(s, profiles)
    with runtime.db.session() as s:
        remind(s)


jobs.TIME_SWEEPS.append(sweep_job)
scheduler.add_job("setup-waiting-reports", "bot.org.waiting:sweep_job", trigger="interval", minutes=30)
