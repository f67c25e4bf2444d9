"""The outbox: messages owed, written with the change that owes them, delivered after commit.

Enqueue inside the unit of work (``outbox.post(session, ...)``); when that session commits the
delivery worker is woken and sends within a second or two. Failures back off and retry until
Slack recovers; a message whose last attempt may have reached Slack is first looked up by its
idempotency key (stored in the message's metadata) so that a retry never sends twice.
Claims are taken with a conditional UPDATE, so any number of processes can deliver safely.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot import clock
from bot.gateway import DeliveryError, SlackGateway
from storage.db import Database, on_after_commit
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=5)
_WAKE_FLAG = "outbox_enqueued"


# --- enqueueing (inside a unit of work) ----------------------------------------------------------

def _enqueue(session: Session, key: str, operation: str, payload: dict[str, Any], *, channel: str | None = None,
             user: str | None = None, thread_key: str | None = None, target_key: str | None = None) -> OutboxMessage:
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:  # the same change replayed: owe the message once
        return existing
    now = clock.now()
    message = OutboxMessage(key=key, operation=operation, channel=channel, user=user, thread_key=thread_key,
                            target_key=target_key, payload=payload, status="pending", attempts=0,
                            next_attempt_at=now, created_at=now, ambiguous=False)
    session.add(message)
    session.info[_WAKE_FLAG] = True
    return message


def post(session: Session, key: str, channel: str, message: dict[str, Any], *,
         thread_key: str | None = None) -> OutboxMessage:
    """A channel message or a DM (channel = user id), optionally in the thread of another outbox message."""
    return _enqueue(session, key, "post", message, channel=channel, thread_key=thread_key)


def update(session: Session, key: str, target_key: str, message: dict[str, Any]) -> OutboxMessage:
    """Replace the content of a message the outbox posted earlier (e.g. a report's status line)."""
    return _enqueue(session, key, "update", message, target_key=target_key)


def ephemeral(session: Session, key: str, channel: str, user: str, message: dict[str, Any],
              *, thread_key: str | None = None) -> OutboxMessage:
    return _enqueue(session, key, "ephemeral", message, channel=channel, user=user, thread_key=thread_key)


def publish_home(session: Session, key: str, user: str, view: dict[str, Any]) -> OutboxMessage:
    return _enqueue(session, key, "home", {"view": view}, user=user)


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """Where the outbox message with this key landed, once it has been sent."""
    row = session.execute(select(OutboxMessage.sent_channel, OutboxMessage.sent_ts)
                          .where(OutboxMessage.key == key, OutboxMessage.status == "sent")).first()
    return (row[0], row[1]) if row and row[0] and row[1] else None


# --- delivery ---------------------------------------------------------------------------------------

class Deliverer:
    def __init__(self, db: Database, gateway: SlackGateway) -> None:
        self.db, self.gateway = db, gateway
        self._deliver_lock = threading.Lock()
        self._again = False

    def deliver_due(self, limit: int = 100, *, wait: bool = False) -> int:
        """Send every message that is due; returns how many were sent.

        Without ``wait`` it returns at once when another thread of this process is already delivering.
        """
        if not self._deliver_lock.acquire(blocking=wait):
            self._again = True  # the thread delivering now looks once more before it stops
            return 0
        try:
            sent = 0
            self._again = True
            while self._again:
                self._again = False
                with self.db.session() as s:
                    now = clock.now()
                    due = s.scalars(select(OutboxMessage.id).where(
                        OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                    ).order_by(OutboxMessage.id).limit(limit)).all()
                for message_id in due:
                    sent += self._deliver_one(message_id)
            return sent
        finally:
            self._deliver_lock.release()

    def _claim(self, message_id: int) -> bool:
        now = clock.now()
        with self.db.session() as s:
            result = cast("CursorResult[Any]", s.execute(sql_update(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ).values(claimed_until=now + CLAIM_FOR)))
            return result.rowcount == 1

    def _deliver_one(self, message_id: int) -> int:
        if not self._claim(message_id):
            return 0
        with self.db.session() as s:
            m = s.get(OutboxMessage, message_id)
            assert m is not None
            thread_ts = target = None
            if m.thread_key:
                parent = s.scalar(select(OutboxMessage).where(OutboxMessage.key == m.thread_key))
                if parent is not None and parent.status == "pending":
                    return self._wait(m, "waiting for the thread's first message")
                if parent is not None and parent.status == "sent":
                    thread_ts = parent.sent_ts
                    m.channel = m.channel or parent.sent_channel
            if m.operation == "update":
                target_row = s.scalar(select(OutboxMessage).where(OutboxMessage.key == m.target_key))
                if target_row is None or target_row.status == "dead":
                    m.status, m.last_error = "dead", "the message to update was never sent"
                    return 0
                if target_row.status != "sent":
                    return self._wait(m, "waiting for the message to update")
                newer = s.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.target_key == m.target_key, OutboxMessage.operation == "update",
                    OutboxMessage.id > m.id).limit(1))
                if newer is not None:  # only the latest content matters
                    m.status, m.claimed_until = "superseded", None
                    return 0
                target = (cast(str, target_row.sent_channel), cast(str, target_row.sent_ts))
            try:
                found = (self.gateway.find_delivered(cast(str, m.channel), m.key, thread_ts)
                         if m.ambiguous and m.operation == "post" else None)
                channel, ts = found or self.gateway.deliver(m.operation, key=m.key, channel=m.channel, user=m.user,
                                                            payload=m.payload, thread_ts=thread_ts, target=target)
            except DeliveryError as exc:
                m.ambiguous = m.ambiguous or exc.ambiguous
                return self._later(m, exc.reason, permanent=exc.permanent)
            except Exception as exc:  # the lookup itself failed: Slack is still down
                return self._later(m, f"{type(exc).__name__}: {exc}", permanent=False)
            m.status, m.sent_channel, m.sent_ts = "sent", channel, ts
            m.sent_at, m.claimed_until, m.last_error = clock.now(), None, None
            return 1

    def _wait(self, m: OutboxMessage, reason: str) -> int:
        """Not a failure: what this message depends on has not gone out yet."""
        m.claimed_until, m.last_error = None, reason
        m.next_attempt_at = clock.now() + timedelta(seconds=1)
        return 0

    def _later(self, m: OutboxMessage, reason: str, *, permanent: bool) -> int:
        m.claimed_until = None
        m.last_error = reason
        if permanent:
            m.status = "dead"
            log.error("outbox %s (%s) cannot be delivered: %s", m.key, m.operation, reason)
            return 0
        m.attempts += 1
        m.next_attempt_at = clock.now() + min(MAX_BACKOFF, timedelta(seconds=2 ** min(m.attempts - 1, 9)))
        log.warning("outbox %s: attempt %d failed (%s); next at %s", m.key, m.attempts, reason,
                    m.next_attempt_at.isoformat(timespec="seconds"))
        return 0


class OutboxWorker:
    """A thread that delivers as soon as a unit of work that enqueued something commits."""

    def __init__(self, deliverer: Deliverer, *, idle_poll: float = 5.0) -> None:
        self.deliverer = deliverer
        self.idle_poll = idle_poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        _workers.append(self)
        self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self in _workers:
            _workers.remove(self)
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.idle_poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.deliverer.deliver_due()
            except Exception:
                log.exception("outbox delivery failed")


_workers: list[OutboxWorker] = []


def _wake_after_commit(info: dict[str, Any]) -> None:
    if info.get(_WAKE_FLAG):
        for worker in list(_workers):
            worker.wake()


on_after_commit(_wake_after_commit)


def pending_count(session: Session) -> int:
    from sqlalchemy import func
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) or 0


def next_due(session: Session) -> datetime | None:
    from sqlalchemy import func
    return session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending"))
