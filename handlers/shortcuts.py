"""Global and message shortcuts."""
from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from handlers.reports import shortcuts as report_shortcuts


def register(app: App, runtime: Runtime) -> None:
    """Domains with shortcuts register them here."""
    report_shortcuts.register(app, runtime)
