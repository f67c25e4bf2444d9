"""Modal submissions and closes."""
from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from handlers.reports import views as report_views


def register(app: App, runtime: Runtime) -> None:
    """Domains with modals register their submissions here."""
    report_views.register(app, runtime)
