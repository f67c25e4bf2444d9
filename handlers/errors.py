from __future__ import annotations

import logging

from slack_bolt import App

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    @app.error
    def log_listener_error(error: Exception, body: dict) -> None:
        log.error("listener failed for %s: %s", body.get("type") or body.get("command"), error, exc_info=error)
