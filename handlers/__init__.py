"""Slack listeners, grouped by surface. Each is thin: parse, call the domain, render. Registered here only.

Listener modules get the app behind ``errors.GuardedApp``: a listener that fails never leaves the
person without an answer (handlers/errors.py). Payload shapes are checked before Bolt dispatches
(handlers/payload.py, run by bot/guard.py).
"""
from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    from handlers import actions, commands, errors, events, middleware, setup, shortcuts, views

    middleware.register(app, runtime)
    guarded = errors.GuardedApp(app, runtime)
    for surface in (commands, actions, views, shortcuts, events, setup):
        surface.register(guarded, runtime)
    errors.register(app, runtime)
