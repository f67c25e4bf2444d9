"""What changed in the emulated Slack while a console command ran.

The app answers some requests at once and finishes the work in its own threads (lazy listeners,
the outbox worker), so after each command the console waits until Slack has been quiet for a
moment, then takes the changes: one entry per message, however often it changed meanwhile.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import outbox
from bot.clock import Clock
from sandbox.emulator import EmulatorEvent, SlackEmulator
from sandbox.harness import Harness

QUIET = 0.15  # seconds without a Slack call or a change: the app is done
PATIENCE = 3.0  # Slack's own limit for an answer


@dataclass
class Change:
    """A message or an ephemeral that appeared, changed or went away; ``data`` is its latest state."""

    kind: str  # "message" | "ephemeral"
    first: str  # the first event seen: posted, updated or deleted
    data: dict[str, Any]
    deleted: bool = False


class Inbox:
    """Collects the emulator's events from the moment the console starts."""

    def __init__(self, emulator: SlackEmulator, clock: Clock) -> None:
        self.clock = clock  # the sandbox's: the emulator calls _receive from its own threads, where none is bound
        self._events: list[EmulatorEvent] = []
        self._lock = threading.Lock()
        self.posted_at: dict[tuple[str, str], datetime] = {}  # when, by the sandbox clock
        self.unsubscribe = emulator.subscribe(self._receive)

    def _receive(self, event: EmulatorEvent) -> None:
        with self._lock:
            self._events.append(event)
            if event.kind == "message_posted" and event.channel:
                self.posted_at[(event.channel, str(event.data["ts"]))] = self.clock.now()

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def take(self) -> tuple[list[Change], list[EmulatorEvent]]:
        """Messages and ephemerals that changed, in the order they first did; and the view events."""
        with self._lock:
            events, self._events = self._events, []
        changes: dict[tuple[str, str, str], Change] = {}
        views = []
        for event in events:
            kind, _, what = event.kind.partition("_")
            if kind not in ("message", "ephemeral"):
                views.append(event)
                continue
            key = (kind, str(event.data.get("channel")), str(event.data.get("ts")))
            change = changes.setdefault(key, Change(kind, what, event.data))
            change.data, change.deleted = event.data, what == "deleted"
        return list(changes.values()), views


def settle(harness: Harness, inbox: Inbox) -> None:
    """Deliver what is due, then wait until the app's listeners are done and Slack has been quiet for QUIET
    seconds (at most PATIENCE).

    Before calling it quiet, deliver once more: a listener that committed while this thread was delivering
    woke the outbox worker, which found the outbox busy and went back to sleep.
    """
    harness.deliver()
    working = harness.runtime.listeners.busy
    started = last_change = time.monotonic()
    seen = (len(harness.emulator.calls), len(inbox))
    while time.monotonic() - started < PATIENCE:
        time.sleep(0.03)
        now = (len(harness.emulator.calls), len(inbox))
        if now != seen or working():
            seen, last_change = now, time.monotonic()
        elif time.monotonic() - last_change >= QUIET and not harness.deliver():
            return


def deliver_soon(harness: Harness) -> None:
    """Deliver what the outbox will retry within PATIENCE seconds, as its worker would meanwhile."""
    deadline = time.monotonic() + PATIENCE
    while True:
        with harness.db.session() as s:
            pending, due = outbox.pending_count(s), outbox.next_due(s)
        if not pending or due is None:
            return
        delay = max(0.0, (due - harness.clock.now()).total_seconds())
        if time.monotonic() + delay > deadline:
            return
        time.sleep(delay)
        harness.deliver()
