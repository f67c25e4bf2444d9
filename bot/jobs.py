"""The platform's own jobs: the outbox's safety net and housekeeping. Domains declare theirs in their DOMAIN."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bot import clock, outbox
from bot.domain import Domain, Job
from storage.models import OutboxLane, OutboxMessage, ProcessedEvent

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def deliver_outbox(runtime: Runtime) -> None:
    """A safety net: the delivery workers sleep until the next message is due, and a commit wakes them."""
    if not outbox.wake_workers():
        runtime.deliverer.deliver_due(wait=False)


def housekeeping(runtime: Runtime) -> None:
    """Forget old event ids and spent deliveries. Sent posts stay: later replies thread under them."""
    now = clock.now()
    with runtime.db.session() as s:
        s.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - timedelta(days=2)))
        s.execute(delete(OutboxMessage).where(OutboxMessage.operation.in_(("update", "ephemeral", "home")),
                                              OutboxMessage.status.in_(("sent", "superseded")),
                                              OutboxMessage.created_at < now - timedelta(days=30)))
        s.execute(delete(OutboxLane).where(OutboxLane.open_at < now - timedelta(days=1)))  # idle channels' pacing


PLATFORM = Domain("platform", jobs=(
    Job("outbox-sweep", deliver_outbox, timedelta(seconds=5), sweep=False),
    Job("housekeeping", housekeeping, timedelta(hours=6), sweep=False),
))
