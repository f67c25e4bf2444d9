"""Procedures' Slack side, as the core registers it: /procedures, the DM card and its check, the register, coverage,
Home, help, and how what happens to procedures is shown."""
from slack_bolt import App

from bot.runtime import Runtime
from handlers.procedures import notices
from handlers.procedures import register as register_surface
from handlers.surface import SlackSide


def register(app: App, runtime: Runtime) -> None:
    register_surface.register(app, runtime)


SLACK = SlackSide(listeners=register, notices=notices.NOTICES)
