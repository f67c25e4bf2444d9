"""The Slack side. The core here (commands: /triad; actions: App Home's own buttons; events: App Home and
direct messages) and each domain's side (handlers/<domain>, found through bot/domains.py), registered here only.

Listener modules get the app behind ``errors.GuardedApp``: a listener that fails never leaves the
person without an answer (handlers/errors.py). Payload shapes are checked before Bolt dispatches
(handlers/payload.py, run by bot/guard.py).
"""
from __future__ import annotations

from typing import cast

from slack_bolt import App

from bot import domains
from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    from handlers import actions, commands, errors, events, installs, middleware

    middleware.register(app, runtime)
    guarded = cast(App, errors.GuardedApp(app, runtime))  # an App to every listener module
    for surface in (commands, actions, events, installs):
        surface.register(guarded, runtime)
    for side in domains.slack_sides():
        side.listeners(guarded, runtime)
    errors.register(app, runtime)
