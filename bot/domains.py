"""The one list of Triad's domains. The web, clock and sandbox processes all iterate it; adding a domain
means its own packages (bot/<domain>, handlers/<domain>) and one line here.

This and bot/app.py are the composition root: the only modules of bot/ that reach handlers/ (by name).
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot import jobs
from bot.domain import Domain, Job
from bot.evidence import DOMAIN as EVIDENCE
from bot.org import DOMAIN as ORG
from bot.procedures import DOMAIN as PROCEDURES
from bot.reports import DOMAIN as REPORTS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.runtime import Runtime
    from handlers.surface import SlackSide

log = logging.getLogger(__name__)

# In the order App Home and help show them: everyday work before the settings.
DOMAINS: list[Domain] = [
    jobs.PLATFORM,
    REPORTS,
    PROCEDURES,
    EVIDENCE,
    ORG,
]


def all_jobs() -> list[Job]:
    found: dict[str, Job] = {}
    for domain in DOMAINS:
        for job in domain.jobs:
            if found.setdefault(job.id, job) is not job:
                raise ValueError(f"two jobs are called {job.id!r}")
    return list(found.values())


def job(job_id: str) -> Job | None:
    return next((j for j in all_jobs() if j.id == job_id), None)


def time_sweeps() -> list[Job]:
    return [j for j in all_jobs() if j.sweep]


def run_time_sweeps(runtime: Runtime) -> None:
    """What the scheduler would have run while the sandbox's clock moved forward; one failing does not stop the rest."""
    for sweep in time_sweeps():
        try:
            sweep.run_everywhere(runtime)
        except Exception:
            log.exception("time sweep %s failed", sweep.id)


def slack_sides() -> list[SlackSide]:
    """Each domain's Slack side, in the list's order."""
    sides: list[Any] = []
    for domain in DOMAINS:
        if domain.slack is not None:
            sides.append(importlib.import_module(domain.slack).SLACK)
    return sides


def file_makers() -> dict[str, Any]:
    """What makes the files the outbox uploads (bot/outbox.py ``upload``): every Slack side's ``files``, by name."""
    found: dict[str, Any] = {}
    for side in slack_sides():
        for name, maker in side.files.items():
            if found.setdefault(name, maker) is not maker:
                raise ValueError(f"two file makers are called {name!r}")
    return found


def notices() -> dict[type, list[Callable[[Session, Any], None]]]:
    """Who shows each kind of event (bot/events.py): every Slack side's ``notices``, in the list's order."""
    found: dict[type, list[Callable[[Session, Any], None]]] = {}
    for side in slack_sides():
        for event_type, notice in side.notices.items():
            found.setdefault(event_type, []).append(notice)
    return found
