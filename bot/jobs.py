"""Scheduled jobs. APScheduler stores them by name, so each is a plain function using runtime.current()."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete

from bot import clock, outbox
from bot.runtime import current
from storage.models import OutboxLane, OutboxMessage, ProcessedEvent

log = logging.getLogger(__name__)

# Sweeps that depend on the clock (reminders, escalations, digests): the sandbox runs them all
# right after it moves the clock forward. Domains append theirs.
TIME_SWEEPS: list[Callable[[], None]] = []


def deliver_outbox() -> None:
    """A safety net: the delivery workers sleep until the next message is due, and a commit wakes them."""
    if not outbox.wake_workers():
        current().deliverer.deliver_due(wait=False)


def housekeeping() -> None:
    """Forget old event ids and spent deliveries. Sent posts stay: later replies thread under them."""
    now = clock.now()
    with current().db.session() as s:
        s.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - timedelta(days=2)))
        s.execute(delete(OutboxMessage).where(OutboxMessage.operation.in_(("update", "ephemeral", "home")),
                                              OutboxMessage.status.in_(("sent", "superseded")),
                                              OutboxMessage.created_at < now - timedelta(days=30)))
        s.execute(delete(OutboxLane).where(OutboxLane.open_at < now - timedelta(days=1)))  # idle channels' pacing


def run_time_sweeps() -> None:
    for sweep in TIME_SWEEPS:
        try:
            sweep()
        except Exception:
            log.exception("time sweep %s failed", getattr(sweep, "__name__", sweep))
