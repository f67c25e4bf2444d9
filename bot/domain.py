"""What a domain brings to Triad, declared once in its package (``DOMAIN``) and listed in bot/domains.py.

The Slack side of a domain (its listeners, /triad words, DM readers, Home sections, help, and the notices that
show what the domain announces) lives in ``handlers/<domain>`` and is named here by module, so the rules of a
domain never import Slack code and the clock process schedules every domain's jobs without loading a single
listener (a job's first announcement loads the Slack sides: bot/events.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class Job:
    """Run every ``every`` by whichever process holds the scheduler's lease (bot/scheduler.py).

    ``sweep``: it depends on the time (reminders, escalations), so the sandbox runs it right after its
    clock moves, as if that time had passed. ``per_workspace``: run once for each workspace, its units of work
    in that workspace (storage/workspaces.py); the platform's own jobs run once."""

    id: str
    run: Callable[[Runtime], None]
    every: timedelta
    sweep: bool = True
    per_workspace: bool = True

    def run_everywhere(self, runtime: Runtime) -> None:
        if not self.per_workspace:
            self.run(runtime)
            return
        from bot.workspaces import all_workspaces
        from storage.workspaces import serving

        for workspace in all_workspaces(runtime.db):
            with serving(workspace):
                self.run(runtime)


@dataclass(frozen=True)
class Domain:
    name: str
    jobs: tuple[Job, ...] = ()
    slack: str | None = None  # the module of its Slack side: handlers/surface.py SlackSide as ``SLACK``
    prompts: Path | None = None  # texts kept outside Triad's prompts/ (<lang>/<area>.yml), e.g. a plug-in's
