"""What the emulator tells whoever watches it: every call it received, each visible change as an
``EmulatorEvent`` to its subscribers, and a way to wait until something has happened.

Every change to the emulator's state happens inside ``_changing()``, under one lock; when the
outermost change ends, waiters wake and subscribers hear of the events it emitted, outside the lock.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sandbox.emulator.records import ApiCall, EmulatorEvent, EventKind

logger = logging.getLogger("sandbox.emulator")

T = TypeVar("T")


class Observable:
    """The lock, the calls received and the events emitted; the base of every part of the emulator."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._subscribers: list[Callable[[EmulatorEvent], None]] = []
        self._pending_events: list[EmulatorEvent] = []
        self._change_depth = 0

    def _clear_activity(self) -> None:
        """Forget everything that happened (each part of the emulator forgets its own, then calls super)."""
        self._calls: list[ApiCall] = []

    @property
    def calls(self) -> list[ApiCall]:
        """Every request received so far, in order, including refused and failed ones."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method."""
        return [call for call in self.calls if call.method == method]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, description: str | None = None) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        The predicate runs under the emulator's lock, after every change, so it may call the
        observation methods. Raises TimeoutError naming the last calls received.
        """
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
            if result:
                return result
            recent = ", ".join(
                f"{c.method}({'ok' if c.ok else c.error or c.fault})" for c in self._calls[-10:]
            )
        what = description or getattr(predicate, "__name__", "condition")
        raise TimeoutError(f"{what} not met within {timeout}s; last calls: [{recent}]")

    def subscribe(self, callback: Callable[[EmulatorEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (outside the lock) on each visible change; returns an unsubscriber."""
        with self._cond:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _record(
        self, method: str, args: dict[str, Any], *, ok: bool, error: str | None = None, fault: str | None = None,
        team: str | None = None,
    ) -> None:
        with self._cond:
            self._calls.append(ApiCall(method, copy.deepcopy(args), ok, error, fault, team=team))
            self._cond.notify_all()

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Hold the lock while changing state; then wake waiters and tell subscribers."""
        with self._cond:
            self._change_depth += 1
            try:
                yield
            finally:
                self._change_depth -= 1
                self._cond.notify_all()
                events: list[EmulatorEvent] = []
                if self._change_depth == 0:
                    events, self._pending_events = self._pending_events, []
                subscribers = list(self._subscribers)
        for event in events:
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:
                    logger.exception("Slack emulator subscriber failed on %s", event.kind)

    def _emit(self, kind: EventKind, channel: str | None, user: str | None, data: dict[str, Any]) -> None:
        self._pending_events.append(EmulatorEvent(kind, channel, user, data))
