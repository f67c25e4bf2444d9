"""Everything a running Triad needs, built once per process: settings, database, Slack gateway, outbox."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.gateway import SlackGateway
from bot.outbox import Deliverer, OutboxWorker
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    gateway: SlackGateway
    deliverer: Deliverer
    worker: OutboxWorker | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def start_worker(self) -> None:
        if self.worker is None:
            self.worker = OutboxWorker(self.deliverer)
            self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self.db.dispose()


_current: Runtime | None = None


def build(settings: Settings, *, token: str | None = None, api_url: str | None = None) -> Runtime:
    global _current
    db = Database(settings.database_url)
    gateway = SlackGateway(token or settings.bot_token or "xoxb-sandbox", api_url or settings.api_url)
    _current = Runtime(settings=settings, db=db, gateway=gateway, deliverer=Deliverer(db, gateway))
    return _current


def current() -> Runtime:
    """The process's runtime, for scheduler jobs (which APScheduler stores by reference, not by value)."""
    if _current is None:
        raise RuntimeError("Triad's runtime is not built in this process")
    return _current
