"""The outbox: messages owed, written with the change that owes them, delivered after commit.

Enqueue inside the unit of work (``outbox.post(session, ...)``); when that session commits the
delivery worker is woken and sends at once. A delivery is three steps, and only the middle one
talks to Slack, with no transaction open:

1. claim (a short transaction): take the first due message of each lane (a channel, a DM, a
   person's Home) whose channel and Web API method Slack would accept now, and mark the post as
   possibly sent, so that whoever tries it next -- after a crash, a kill -9, a deploy -- first
   looks for it in Slack by its idempotency key (stored in the message's metadata);
2. call Slack;
3. record what Slack answered (a short transaction): sent; rate limited (that channel or method
   waits out Slack's Retry-After, nothing else does); failed (backs off, and is retried at once
   when the same method works again); or refused for good (logged loudly).

Lanes keep order where it matters: one message of a lane is in flight at a time, in id order, a
thread reply after its parent, an update after the post it updates (and only the newest update
of a message is sent). Lanes go concurrently across a few delivery threads, each channel and
method paced to Slack's limits (``bot.slack_limits``) through ``outbox_lane`` rows that every
delivering process shares.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, defer

from bot import clock
from bot.clock import Clock
from bot.gateway import DELIVERY_METHODS, DeliveryError, FileUpload, SlackGateway
from bot.slack_limits import SLACK, Limits, admit
from storage.db import Database, on_after_commit
from storage.models import Organisation, OutboxLane, OutboxMessage

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=45)  # longer than a delivery can take: a lookup and a post, 10 s timeout each
CLAIM_UPLOAD_FOR = timedelta(minutes=15)  # an upload first makes its file (an export streams the whole log)
MAX_BACKOFF = timedelta(minutes=5)
DELIVERY_THREADS = 8  # lanes in flight at once: far more than Slack's workspace limit needs at its latency
PACING_PATIENCE = 2.0  # deliver_due waits out pacing gaps up to this long (seconds)
_WAKE_FLAG = "outbox_enqueued"
UNHELD = -1.0
_CLAIM_LOCK = 0x7721AD  # PostgreSQL advisory lock: claims are serialised, as SQLite's write lock does there
THREAD_GONE_NOTE = ("_The thread this reply belonged to was deleted, so it is posted here._ / "
                    "_此回复所属的消息串已被删除，因此发在这里。_")


# --- enqueueing (inside a unit of work) ----------------------------------------------------------

def _enqueue(session: Session, key: str, operation: str, payload: dict[str, Any], *, channel: str | None = None,
             user: str | None = None, thread_key: str | None = None, target_key: str | None = None,
             not_before: datetime | None = None) -> OutboxMessage:
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:  # the same change replayed: owe the message once
        return existing
    now = clock.now()
    message = OutboxMessage(key=key, operation=operation, channel=channel, user=user, thread_key=thread_key,
                            target_key=target_key, lane=_lane(session, operation, channel, user, target_key),
                            payload=payload, status="pending", attempts=0, created_at=now, ambiguous=False,
                            next_attempt_at=max(now, not_before or now))
    session.add(message)
    session.info[_WAKE_FLAG] = True
    return message


def _lane(session: Session, operation: str, channel: str | None, user: str | None, target_key: str | None) -> str:
    if operation == "home":
        return f"home:{user}"
    if operation == "update":  # in the lane of the message it updates, so it goes after it
        target_lane = session.scalar(select(OutboxMessage.lane).where(OutboxMessage.key == target_key))
        return target_lane or f"update:{target_key}"
    return channel or ""


def post(session: Session, key: str, channel: str, message: dict[str, Any], *, thread_key: str | None = None,
         not_before: datetime | None = None) -> OutboxMessage:
    """A channel message or a DM (channel = user id), optionally in the thread of another outbox message.

    ``not_before``: held until then (a reminder waits for its reader's working hours).
    """
    return _enqueue(session, key, "post", message, channel=channel, thread_key=thread_key, not_before=not_before)


def post_many(session: Session, posts: list[tuple[str, str, dict[str, Any], datetime | None]]) -> int:
    """Many DMs or channel posts at once, each (key, channel, message, not_before): what ``post`` writes, with the
    keys already owed looked up a thousand at a time rather than one by one (a procedure published to a plant of
    5,000). Returns how many were new."""
    now, new = clock.now(), 0
    for start in range(0, len(posts), 1000):
        chunk = posts[start:start + 1000]
        owed_already = set(session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.in_([key for key, _, _, _ in chunk]))))
        rows = [OutboxMessage(key=key, operation="post", channel=channel, lane=channel, payload=message,
                              status="pending", attempts=0, created_at=now, ambiguous=False,
                              next_attempt_at=max(now, not_before or now))
                for key, channel, message, not_before in chunk if key not in owed_already]
        owed_already.update(row.key for row in rows)
        session.add_all(rows)
        new += len(rows)
    if new:
        session.info[_WAKE_FLAG] = True
    return new


def upload(session: Session, key: str, channel: str, maker: str, args: dict[str, Any], *, reference: str,
           not_before: datetime | None = None) -> OutboxMessage:
    """A file shared in a channel or a DM (channel = user id), in that lane after what was posted there before.

    The file is made only at delivery, with no transaction open, by the ``maker`` a Slack side declares
    (``SlackSide.files``: ``maker(db, workspace, args)`` is a context manager giving a ``FileUpload``); ``args``
    is plain JSON. ``reference`` is in the comment that shares the file: an attempt that may have reached Slack
    looks for it before uploading again.
    """
    return _enqueue(session, key, "upload", {"maker": maker, "args": args, "reference": reference}, channel=channel,
                    not_before=not_before)


def update(session: Session, key: str, target_key: str, message: dict[str, Any]) -> OutboxMessage:
    """Replace the content of a message the outbox posted earlier (e.g. a report's status line)."""
    return _enqueue(session, key, "update", message, target_key=target_key)


def withdraw(session: Session, key: str) -> bool:
    """Take back a post that has not gone out: True if it never will. One that may be in Slack already
    (claimed, ambiguous) or was sent stays as it is: update it instead."""
    taken = session.execute(sql_update(OutboxMessage).where(
        OutboxMessage.key == key, OutboxMessage.operation == "post", OutboxMessage.status == "pending",
        OutboxMessage.ambiguous.is_(False)).values(status="superseded", last_error="withdrawn: no longer needed"))
    return bool(getattr(taken, "rowcount", 0))


def ephemeral(session: Session, key: str, channel: str, user: str, message: dict[str, Any],
              *, thread_key: str | None = None) -> OutboxMessage:
    return _enqueue(session, key, "ephemeral", message, channel=channel, user=user, thread_key=thread_key)


def publish_home(session: Session, key: str, user: str, view: dict[str, Any]) -> OutboxMessage:
    return _enqueue(session, key, "home", {"view": view}, user=user)


def owed(session: Session, key: str) -> bool:
    """Whether a message under this key was ever written (pending, sent or given up)."""
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """Where the outbox message with this key landed, once it has been sent."""
    row = session.execute(select(OutboxMessage.sent_channel, OutboxMessage.sent_ts)
                          .where(OutboxMessage.key == key, OutboxMessage.status == "sent")).first()
    return (row[0], row[1]) if row and row[0] and row[1] else None


# --- delivery ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """A claimed message with everything needed to send it, so that Slack is called with no session open."""

    id: int
    workspace: int  # its messages go out as this workspace's bot, paced by this workspace's limits
    key: str
    operation: str
    lane: str
    channel: str | None
    user: str | None
    payload: dict[str, Any]
    thread_ts: str | None = None
    target: tuple[str, str] | None = None
    parent_key: str | None = None
    parent_gone: bool = False  # the thread's parent was deleted in Slack: post unthreaded, with a note
    look_first: bool = False  # an earlier attempt may have reached Slack


@dataclass(frozen=True)
class Outcome:
    sent: tuple[str | None, str | None] | None = None
    error: DeliveryError | None = None
    unthreaded: bool = False  # Slack said thread_not_found: the reply went to the channel instead


class Deliverer:
    """Claims, sends and records outbox messages. Safe to use from any number of threads and processes."""

    def __init__(self, db: Database, gateway: SlackGateway, clock: Clock, limits: Limits | None = None) -> None:
        self.db, self.gateway = db, gateway
        self.clock = clock  # its runtime's: bound in the threads it starts, which start with an empty context
        self.limits = limits or SLACK.with_headroom()
        # Methods whose backed-off messages go out at once on the next success. All of them at start:
        # this process may be starting right after an outage.
        self._recovering = set(DELIVERY_METHODS.values())
        self._turn = False

    # -- 1. claim ------------------------------------------------------------------------------------
    def claim(self, limit: int, now: datetime | None = None) -> list[Attempt]:
        """Take up to ``limit`` messages that may go ``now`` (a short transaction, no network)."""
        now = now or clock.now()
        with self.db.session() as s:
            _serialise_claims(s)
            closed = set(s.scalars(select(OutboxLane.name).where(OutboxLane.open_at > now)))
            rows = self._lane_heads(s, now, closed, limit * 4)
            if not rows:
                return []
            related = self._related(s, rows)
            newest_update = dict(s.execute(
                select(OutboxMessage.target_key, func.max(OutboxMessage.id)).where(
                    OutboxMessage.operation == "update",
                    OutboxMessage.target_key.in_([r.target_key for r in rows if r.operation == "update"]),
                ).group_by(OutboxMessage.target_key)).all())
            lane_names = {r.lane for r in rows if r.operation in SHARES} | {
                method_lane(method, r.organisation_id) for r in rows for method in self.limits.methods}
            lanes = {lane.name: lane for lane in s.scalars(select(OutboxLane).where(OutboxLane.name.in_(lane_names)))}
            opened: dict[str, float] = {}
            claimed: list[Attempt] = []
            for m in rows:
                if len(claimed) >= limit:
                    break
                attempt = self._prepare(m, related, newest_update)
                if attempt is None or not self._pace(attempt, lanes, opened, now):
                    continue
                m.claimed_until = now + (CLAIM_UPLOAD_FOR if m.operation == "upload" else CLAIM_FOR)
                if m.operation in SHARES:
                    m.ambiguous = True  # from now on it may be in Slack: whoever tries next looks first
                claimed.append(attempt)
            if claimed:  # only now the payloads: most heads a claim reads are not taken
                taken = select(OutboxMessage.id, OutboxMessage.payload).where(
                    OutboxMessage.id.in_([a.id for a in claimed]))
                payloads: dict[int, dict[str, Any]] = {id_: payload for id_, payload in s.execute(taken)}
                claimed = [replace(a, payload=payloads[a.id]) for a in claimed]
            for name, open_at in opened.items():
                when = datetime.fromtimestamp(open_at, UTC)
                if name in lanes:
                    lanes[name].open_at = when
                else:
                    s.add(OutboxLane(name=name, open_at=when))
            return claimed

    def _lane_heads(self, s: Session, now: datetime, closed: set[str], limit: int) -> list[OutboxMessage]:
        """The first due message of lanes that have nothing in flight and whose channel and method are open.

        Half are the oldest heads (nothing waits for ever), half the heads of the longest lanes and then the
        newest: a busy channel keeps its paced share and a fresh post is not queued behind a fan-out of DMs.
        """
        in_flight = select(OutboxMessage.lane).where(OutboxMessage.status == "pending",
                                                     OutboxMessage.claimed_until >= now)
        uninstalled = select(Organisation.id).where(Organisation.uninstalled_at.is_not(None))
        heads = select(func.min(OutboxMessage.id).label("head"), func.count().label("backlog")).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            OutboxMessage.lane.not_in(in_flight),
            OutboxMessage.organisation_id.not_in(uninstalled),  # kept, not sent, until Triad is back there
        ).group_by(OutboxMessage.lane)
        for op, method in DELIVERY_METHODS.items():  # a method rate limited in a workspace waits there only
            held = [int(workspace) for name in closed for called, _, workspace in [name.partition("@")]
                    if called == method and workspace.isdigit()]
            if held:
                heads = heads.where(not_(and_(OutboxMessage.operation == op, OutboxMessage.organisation_id.in_(held))))
        closed_channels = {name for name in closed if "@" not in name}
        if closed_channels:
            heads = heads.where(not_(and_(OutboxMessage.operation == "post", OutboxMessage.lane.in_(closed_channels))))
        lanes = heads.subquery()
        oldest = s.scalars(select(lanes.c.head).order_by(lanes.c.head).limit(limit)).all()
        if not oldest:
            return []
        fullest = s.scalars(select(lanes.c.head).order_by(lanes.c.backlog.desc(), lanes.c.head.desc())
                            .limit(limit)).all()
        self._turn = not self._turn  # which of the two goes first alternates: a claim may take only one
        first, second = (oldest, fullest) if self._turn else (fullest, oldest)
        order = list(dict.fromkeys(id_ for pair in zip(first, second, strict=False) for id_ in pair))
        order += [id_ for id_ in (*oldest, *fullest) if id_ not in order]
        rows = {m.id: m for m in s.scalars(select(OutboxMessage).options(defer(OutboxMessage.payload))
                                             .where(OutboxMessage.id.in_(order)))}
        return [rows[id_] for id_ in order if id_ in rows]

    @staticmethod
    def _related(s: Session, rows: list[OutboxMessage]) -> dict[str, OutboxMessage]:
        """The thread parents and update targets of these messages, by key."""
        keys = {r.thread_key for r in rows if r.thread_key} | {r.target_key for r in rows if r.target_key}
        if not keys:
            return {}
        return {r.key: r for r in s.scalars(select(OutboxMessage).options(defer(OutboxMessage.payload))
                                            .where(OutboxMessage.key.in_(keys)))}

    def _prepare(self, m: OutboxMessage, related: dict[str, OutboxMessage],
                 newest_update: dict[str | None, int]) -> Attempt | None:
        """What to send for this message, or None if it cannot go now (settled here when it never will)."""
        attempt = Attempt(id=m.id, workspace=m.organisation_id, key=m.key, operation=m.operation, lane=m.lane,
                          channel=m.channel, user=m.user, payload={},  # claim() adds the payload
                          look_first=m.ambiguous and m.operation in SHARES)
        if m.operation == "update":
            target = related.get(m.target_key or "")
            if target is None or target.status in ("dead", "deleted", "superseded"):
                m.status, m.last_error = "dead", "the message to update was never sent or is gone"
                log.error("outbox %s: %s", m.key, m.last_error)
                return None
            if target.status != "sent":
                return None  # waits for the post it updates
            if newest_update.get(m.target_key, m.id) > m.id:  # only the latest content matters
                m.status = "superseded"
                return None
            return replace(attempt, target=(cast(str, target.sent_channel), cast(str, target.sent_ts)))
        if m.thread_key:
            parent = related.get(m.thread_key)
            if parent is not None and parent.status == "pending":
                return None  # waits for the thread's first message
            if parent is not None and parent.status == "sent":
                return replace(attempt, thread_ts=parent.sent_ts, channel=m.channel or parent.sent_channel,
                               parent_key=parent.key)
            if parent is not None and parent.status == "deleted":
                return replace(attempt, channel=m.channel or parent.sent_channel, parent_gone=True)
        return attempt

    def _pace(self, attempt: Attempt, lanes: dict[str, OutboxLane], opened: dict[str, float], now: datetime) -> bool:
        """Whether Slack would take every call this attempt makes now; if so, books them in their lanes."""
        method = DELIVERY_METHODS[attempt.operation]
        calls = [(method_lane(method, attempt.workspace), self.limits.method(method))]
        if attempt.operation == "upload" and attempt.channel:  # its share is a post in the channel too
            calls = [(attempt.lane, self.limits.channel_post)] + [
                (method_lane(m, attempt.workspace), self.limits.method(m))
                for m in self.gateway.upload_methods(attempt.workspace, attempt.channel, looking=attempt.look_first)]
        if attempt.operation == "post":
            calls.append((attempt.lane, self.limits.channel_post))
            if attempt.look_first and attempt.channel:
                calls += [(method_lane(m, attempt.workspace), self.limits.method(m))
                          for m in self.gateway.lookup_methods(attempt.workspace, attempt.channel, attempt.thread_ts)]
        booked: dict[str, float] = {}
        moment = now.timestamp()
        for name, rate in calls:
            if rate is None:
                continue
            current = booked.get(name, opened.get(name))
            if current is None and name in lanes:
                current = lanes[name].open_at.timestamp()
            after = admit(current, moment, rate)
            if after is None:
                return False
            booked[name] = after
        opened.update(booked)
        return True

    # -- 2. call Slack -------------------------------------------------------------------------------
    def attempt(self, a: Attempt) -> Outcome:
        """Send one claimed message. No database session is open here."""
        try:
            if a.parent_gone:
                return self._post_unthreaded(a)
            if a.look_first:
                found = self._look(a)
                if found is not None:
                    return Outcome(sent=found)
            try:
                return Outcome(sent=self._send(a))
            except DeliveryError as exc:
                if exc.reason == "thread_not_found" and a.thread_ts:
                    return self._post_unthreaded(a)
                raise
        except DeliveryError as exc:
            return Outcome(error=exc)
        except Exception as exc:  # never let one message stop the others
            return Outcome(error=DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, ambiguous=True))

    def _send(self, a: Attempt) -> tuple[str | None, str | None]:
        if a.operation == "upload":
            return self._upload(a)
        return self.gateway.deliver(a.operation, workspace=a.workspace, key=a.key, channel=a.channel, user=a.user,
                                    payload=a.payload, thread_ts=a.thread_ts, target=a.target)

    def _upload(self, a: Attempt) -> tuple[str | None, str | None]:
        """Make the file (the maker opens its own read-only units of work), then hand it to Slack; it is removed
        after, sent or not."""
        assert a.channel is not None
        maker = _file_makers().get(str(a.payload.get("maker")))
        if maker is None:
            raise DeliveryError(f"no file maker {a.payload.get('maker')!r}", permanent=True, ambiguous=False)
        with ExitStack() as made:
            try:
                file = made.enter_context(maker(self.db, a.workspace, dict(a.payload.get("args") or {})))
            except DeliveryError:  # the maker's own verdict: e.g. a request that can never be made (permanent)
                raise
            except Exception as exc:  # nothing reached Slack: tried again after the usual back-off
                log.exception("outbox %s: the file could not be made", a.key)
                raise DeliveryError(f"file not made: {type(exc).__name__}: {exc}", permanent=False,
                                    ambiguous=False) from exc
            reference = str(a.payload.get("reference") or a.key)
            if reference not in file.comment:  # the reference is how a repeated attempt finds the share
                file = replace(file, comment=f"{file.comment}\n{reference}")
            return self.gateway.upload(a.workspace, a.channel, file)

    def _look(self, a: Attempt) -> tuple[str, str | None] | None:
        assert a.channel is not None
        if a.operation == "upload":
            return self.gateway.find_upload(a.workspace, a.channel, str(a.payload.get("reference") or a.key))
        try:
            return self.gateway.find_delivered(a.workspace, a.channel, a.key, a.thread_ts)
        except DeliveryError as exc:
            if exc.reason != "thread_not_found":
                raise
            # an earlier try may have gone unthreaded
            return self.gateway.find_delivered(a.workspace, a.channel, a.key, None)

    def _post_unthreaded(self, a: Attempt) -> Outcome:
        """The thread's parent is gone (deleted in Slack): post the reply in the channel, saying why."""
        log.warning("outbox %s: the thread it replies to is gone; posting it in the channel instead", a.key)
        unthreaded = replace(a, thread_ts=None, payload=_with_note(a.payload, THREAD_GONE_NOTE))
        if a.look_first:
            found = self.gateway.find_delivered(a.workspace, unthreaded.channel or "", a.key, None)
            if found is not None:
                return Outcome(sent=found, unthreaded=True)
        return Outcome(sent=self._send(unthreaded), unthreaded=True)

    # -- 3. record -----------------------------------------------------------------------------------
    def record(self, a: Attempt, outcome: Outcome) -> bool:
        """Write down what Slack answered (a short transaction); True if the message is now sent."""
        now = clock.now()
        method = DELIVERY_METHODS[a.operation]
        with self.db.session() as s:
            m = s.get(OutboxMessage, a.id)
            if m is None or m.status != "pending":
                return False
            m.claimed_until = None
            if outcome.sent is not None:
                m.status, (m.sent_channel, m.sent_ts) = "sent", outcome.sent
                m.sent_at, m.last_error, m.ambiguous = now, None, False
                if outcome.unthreaded and a.parent_key:
                    s.execute(sql_update(OutboxMessage).where(OutboxMessage.key == a.parent_key)
                              .values(status="deleted", last_error="deleted in Slack"))
                if method in self._recovering:
                    self._recovering.discard(method)
                    _owed_now(s, a.operation, now)
                    if a.operation == "post":  # a file owed waits for Slack as the messages beside it do
                        _owed_now(s, "upload", now)
                return True
            exc = outcome.error
            assert exc is not None
            m.last_error = exc.reason
            m.ambiguous = a.look_first or (exc.ambiguous and a.operation in SHARES)
            if exc.retry_after is not None:  # rate limited: that channel or method waits, nothing else
                called = exc.method or method
                _hold_lane(s, a.lane if called == "chat.postMessage" else method_lane(called, a.workspace),
                           now + timedelta(seconds=exc.retry_after))
                m.next_attempt_at = now + timedelta(seconds=exc.retry_after)
                return False
            if exc.permanent:
                m.status = "dead"
                log.error("outbox %s (%s) cannot be delivered: %s", m.key, m.operation, exc.reason)
                return False
            m.attempts += 1
            m.next_attempt_at = now + min(MAX_BACKOFF, timedelta(seconds=2 ** min(m.attempts - 1, 9)))
            self._recovering.add(method)
            log.warning("outbox %s: attempt %d failed (%s); next at %s", m.key, m.attempts, exc.reason,
                        m.next_attempt_at.isoformat(timespec="seconds"))
            return False

    def release(self, attempts: list[Attempt]) -> None:
        """Give back claims that were never tried (shutting down): they go again at once, elsewhere or later."""
        if not attempts:
            return
        with self.db.session() as s:
            for a in attempts:
                m = s.get(OutboxMessage, a.id)
                if m is not None and m.status == "pending":
                    m.claimed_until, m.ambiguous = None, a.look_first

    # -- the whole round -----------------------------------------------------------------------------
    def deliver(self, a: Attempt) -> bool:
        return self.record(a, self.attempt(a))

    def deliver_due(self, limit: int | None = None, *, wait: bool = True, threads: int = DELIVERY_THREADS) -> int:
        """Send everything that is due now, a few lanes at a time; returns how many were sent.

        It waits out pacing gaps shorter than PACING_PATIENCE (a busy channel's next slot) and deliveries
        another thread has in flight (what is queued behind them in their lane goes next), not back-offs.
        """
        sent = 0
        results: queue.Queue[bool] = queue.Queue()
        in_flight = 0
        patience = time.monotonic() + PACING_PATIENCE
        unexplained = 0  # claims that found nothing though messages were due and nothing held them back
        while True:
            room = threads - in_flight
            if limit is not None:
                room = min(room, limit - sent - in_flight)
            now = clock.now()
            claimed = self.claim(room, now) if room > 0 else []
            for a in claimed:
                in_flight += 1
                threading.Thread(target=self.clock.run, args=(lambda a=a: results.put(self.deliver(a)),),
                                 daemon=True, name="outbox-delivery").start()
            if in_flight:
                sent += results.get()
                in_flight -= 1
                continue
            if limit is not None and sent >= limit:
                return sent
            pause = self.pacing_gap(now) if wait else None
            if pause == UNHELD and unexplained < 3:  # a lane freed between the claim and the look: claim again
                unexplained += 1
                pause = 0.005
            if pause is None or pause == UNHELD or time.monotonic() + pause > patience:
                return sent
            time.sleep(pause)

    def pacing_gap(self, since: datetime) -> float | None:
        """After a claim at ``since`` found nothing: seconds until due messages held back by a lane closed then or
        a delivery in flight may go; None if nothing is due, UNHELD if what is due waits for something else
        (its thread's parent, the post it updates)."""
        now = since
        with self.db.session() as s:
            due = s.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                          OutboxMessage.next_attempt_at <= now).limit(1))
            if due is None:
                return None
            opens = s.scalar(select(func.min(OutboxLane.open_at)).where(OutboxLane.open_at > now))
            in_flight = s.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                                OutboxMessage.claimed_until >= now).limit(1))
        gaps = [max(0.0, (opens - clock.now()).total_seconds()) + 0.001] if opens else []
        if in_flight is not None:
            gaps.append(0.01)
        return min(gaps) if gaps else UNHELD

    def seconds_until_due(self, longest: float, since: datetime) -> float:
        """How long a worker whose claim at ``since`` found nothing may sleep: until the next retry, lane opening
        or lapsed claim after that moment (at most ``longest``). Later than ``since`` it may already be time."""
        now = since
        with self.db.read() as s:
            moments = [
                s.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at > now)),
                s.scalar(select(func.min(OutboxMessage.claimed_until)).where(
                    OutboxMessage.status == "pending", OutboxMessage.claimed_until >= now)),
                s.scalar(select(func.min(OutboxLane.open_at)).where(OutboxLane.open_at > now)),
            ]
        waits = [(moment - clock.now()).total_seconds() for moment in moments if moment is not None]
        return max(0.005, min([longest, *waits]))

    def newest_message(self) -> int:
        """The id of the newest message: a process that no commit wakes watches it (an index lookup)."""
        with self.db.read() as s:
            return s.scalar(select(func.max(OutboxMessage.id))) or 0


SHARES = ("post", "upload")  # operations that leave a message in a channel: looked for before they are tried again
FileMaker = Callable[[Database, int, dict[str, Any]], AbstractContextManager[FileUpload]]


def _file_makers() -> dict[str, FileMaker]:
    from bot import domains  # every domain's Slack side may declare makers: the list imports them all

    return domains.file_makers()


def method_lane(method: str, workspace: int) -> str:
    """The pacing lane of a Web API method in one workspace: Slack's limits are per method and workspace."""
    return f"{method}@{workspace}"


def _with_note(payload: dict[str, Any], note: str) -> dict[str, Any]:
    payload = dict(payload)
    if payload.get("blocks"):
        payload["blocks"] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}, *payload["blocks"]]
    payload["text"] = f"{note}\n{payload.get('text') or ''}".strip()
    return payload


def _serialise_claims(s: Session) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})


def _hold_lane(s: Session, name: str, until: datetime) -> None:
    """Slack said Retry-After for this channel or method: nothing goes through it before ``until``."""
    _serialise_claims(s)
    lane = s.get(OutboxLane, name)
    if lane is None:
        s.add(OutboxLane(name=name, open_at=until))
    elif lane.open_at < until:
        lane.open_at = until
    log.warning("outbox: Slack rate limited %s; it waits until %s", name, until.isoformat(timespec="seconds"))


def _owed_now(s: Session, operation: str, now: datetime) -> None:
    """Slack answers again: what backed off while it did not goes out now (rate-limited lanes keep waiting)."""
    s.execute(sql_update(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.operation == operation, OutboxMessage.attempts > 0,
        OutboxMessage.next_attempt_at > now, OutboxMessage.last_error != "ratelimited",
    ).values(next_attempt_at=now))


class OutboxWorker:
    """Delivery threads that send as soon as a unit of work that enqueued something commits.

    A dispatcher claims as many messages as there are idle threads, and loops until nothing is due;
    then it sleeps until the next retry or lane opening, a commit, or a delivery finishing. With ``watch``
    (seconds) it also looks that often for messages other processes wrote, as their commits cannot wake it.
    """

    def __init__(self, deliverer: Deliverer, *, threads: int = DELIVERY_THREADS, idle_poll: float = 5.0,
                 watch: float | None = None) -> None:
        self.deliverer = deliverer
        self.threads = threads
        self.idle_poll = idle_poll
        self.watch = watch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._work: queue.Queue[Attempt | None] = queue.Queue()
        self._busy = 0
        self._busy_changed = threading.Condition()
        self._pool: list[threading.Thread] = []
        self._dispatcher: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        _workers.append(self)
        on_its_clock = self.deliverer.clock.run  # new threads start with an empty context: nothing is bound there
        self._pool = [threading.Thread(target=on_its_clock, args=(self._deliver_forever,), name=f"outbox-delivery-{n}",
                                       daemon=True) for n in range(self.threads)]
        for thread in self._pool:
            thread.start()
        self._dispatcher = threading.Thread(target=on_its_clock, args=(self._dispatch,), name="outbox-worker",
                                            daemon=True)
        self._dispatcher.start()

    def stop(self, grace: float = 15.0) -> bool:
        """Stop claiming; let deliveries in flight finish for up to ``grace`` seconds. Returns whether they did.

        One still stuck after that stays claimed and marked as possibly sent: whoever tries it next looks first.
        """
        self._stop.set()
        self._wake.set()
        if self in _workers:
            _workers.remove(self)
        if self._dispatcher:
            self._dispatcher.join(timeout=5)
        deadline = time.monotonic() + grace
        with self._busy_changed:
            while self._busy and time.monotonic() < deadline:
                self._busy_changed.wait(deadline - time.monotonic())
            finished = not self._busy
        unstarted = []
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                unstarted.append(item)
        try:
            self.deliverer.release(unstarted)
        except Exception:
            log.exception("outbox: could not release %d claims on shutdown", len(unstarted))
        for _ in self._pool:
            self._work.put(None)
        if not finished:
            log.warning("outbox: a delivery was still in flight at shutdown; it will be looked up before it is retried")
        return finished

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            try:
                with self._busy_changed:
                    room = self.threads - self._busy
                    busy = self._busy
                if busy and room < self.threads // 2:  # claim in batches: each claim reads every lane's head
                    room = 0
                now = clock.now()
                claimed = self.deliverer.claim(room, now) if room > 0 else []
                if claimed:
                    with self._busy_changed:
                        self._busy += len(claimed)
                    for attempt in claimed:
                        self._work.put(attempt)
                    continue
                delay = self.deliverer.seconds_until_due(self.idle_poll, now) if room > 0 else self.idle_poll
            except Exception:
                log.exception("outbox delivery failed")
                delay = self.idle_poll
            self._sleep(delay)
            self._wake.clear()

    def _sleep(self, delay: float) -> None:
        """Until ``delay`` has passed, a wake, or (when watching) a message written by another process."""
        if self.watch is None:
            self._wake.wait(timeout=delay)
            return
        deadline = time.monotonic() + delay
        try:
            seen = self.deliverer.newest_message()
            while not self._wake.wait(timeout=max(0.0, min(self.watch, deadline - time.monotonic()))):
                if time.monotonic() >= deadline or self.deliverer.newest_message() != seen:
                    return
        except Exception:
            log.exception("outbox: looking for new messages failed")
            self._wake.wait(timeout=max(0.0, deadline - time.monotonic()))

    def _deliver_forever(self) -> None:
        while True:
            attempt = self._work.get()
            if attempt is None:
                return
            try:
                self.deliverer.deliver(attempt)
            except Exception:
                log.exception("outbox: recording delivery of %s failed", attempt.key)
            finally:
                with self._busy_changed:
                    self._busy -= 1
                    self._busy_changed.notify_all()
                self._wake.set()


_workers: list[OutboxWorker] = []


def _wake_after_commit(info: dict[str, Any]) -> None:
    if info.get(_WAKE_FLAG):
        for worker in list(_workers):
            worker.wake()


on_after_commit(_wake_after_commit)


def wake_workers() -> bool:
    """Wake this process's delivery workers; False if it has none."""
    for worker in list(_workers):
        worker.wake()
    return bool(_workers)


def pending_count(session: Session, workspace: int | None = None) -> int:
    """Messages still owed: to every workspace (the outbox serves them all), or to ``workspace``."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(*_pending(workspace))) or 0


def next_due(session: Session, workspace: int | None = None) -> datetime | None:
    return session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(*_pending(workspace)))


def _pending(workspace: int | None) -> tuple[ColumnElement[bool], ...]:
    owed = OutboxMessage.status == "pending"
    return (owed,) if workspace is None else (owed, OutboxMessage.organisation_id == workspace)
