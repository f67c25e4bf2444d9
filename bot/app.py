"""The Bolt app factory: one app, the same in HTTP mode, Socket Mode, the sandbox and the tests."""
from __future__ import annotations

import logging

from slack_bolt import App

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, signing_secret: str | None = None) -> App:
    settings = runtime.settings
    app = App(
        client=runtime.gateway.client,
        signing_secret=signing_secret or settings.signing_secret or "sandbox-signing-secret",
        token_verification_enabled=False,  # no auth.test at start-up: start even while Slack is down
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("slack_bolt"),
    )
    import handlers

    handlers.register(app, runtime)
    return app
