"""Everything a running Triad needs, built once per process: settings, database, Slack gateway, outbox, clock."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.gateway import SlackGateway
from bot.installs import Installs
from bot.outbox import Deliverer, OutboxWorker
from bot.slack_limits import SLACK, Limits
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    gateway: SlackGateway
    deliverer: Deliverer
    clock: Clock  # every entry point binds it for the work it runs (bot/clock.py)
    worker: OutboxWorker | None = None
    scheduler: Any = None  # bot.scheduler.Scheduler where this process runs the jobs
    listeners: Any = None  # bot.app.ListenerPool once the Bolt app is built
    installs: Installs | None = None  # where workspaces install Triad (OAuth), each with its bot token
    extras: dict[str, Any] = field(default_factory=dict)

    def start_worker(self, *, watch: float | None = None) -> None:
        if self.worker is None:
            self.worker = OutboxWorker(self.deliverer, watch=watch)
            self.worker.start()

    def close(self, grace: float = 15.0) -> None:
        """Stop delivering (deliveries in flight finish within ``grace`` seconds, or stay marked) and let go."""
        if self.listeners is not None:
            self.listeners.wait_idle()
            self.listeners.shutdown()
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        if self.worker is not None:
            self.worker.stop(grace)
            self.worker = None
        self.db.dispose()


def build(settings: Settings, *, token: str | None = None, api_url: str | None = None,
          slack_limits: Limits = SLACK, clock: Clock | None = None) -> Runtime:
    """``slack_limits``: what Slack allows (the outbox paces itself just under it); the sandbox's are time-scaled.
    ``clock``: the runtime's time (a fresh, real one unless given: tests and the sandbox move theirs)."""
    clock = clock or Clock()
    db = Database(settings.database_url)
    installs = Installs(db, settings.client_id) if settings.client_id else None
    tokens = installs.token_for if installs else token or settings.bot_token or "xoxb-sandbox"
    gateway = SlackGateway(tokens, api_url or settings.api_url)
    deliverer = Deliverer(db, gateway, clock, slack_limits.with_headroom())
    return Runtime(settings=settings, db=db, gateway=gateway, deliverer=deliverer, clock=clock, installs=installs)
