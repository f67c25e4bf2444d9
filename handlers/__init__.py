"""Slack listeners, grouped by surface. Each is thin: parse, call the domain, render. Registered here only."""
from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    from handlers import actions, commands, errors, events, middleware, setup, shortcuts, views

    middleware.register(app, runtime)
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
    shortcuts.register(app, runtime)
    events.register(app, runtime)
    setup.register(app, runtime)
    errors.register(app, runtime)
