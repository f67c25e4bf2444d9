"""The one source of 'now': the clock of the runtime whose work is running.

Each runtime has its own ``Clock`` (bot/runtime.py), and each entry point (an HTTP request, a Socket Mode
message, a job run, a delivery thread, a CLI command, the sandbox's harness) binds it for the work it runs,
so ``clock.now()`` anywhere below needs no argument. The sandbox moves its clock forward (``wait 3d``);
tests pin theirs to a known weekday and hour (tests/conftest.py).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Clock:
    """Real time, moved by an offset. Safe to read and move from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (base, ahead): one tuple, replaced whole, so a reader never sees half of a move.
        # base is set by travel_to (a known weekday and hour), ahead by advance (the sandbox's wait).
        self._shift = (timedelta(), timedelta())

    def now(self) -> datetime:
        base, ahead = self._shift
        return datetime.now(UTC) + base + ahead

    def ahead(self) -> timedelta:
        """How far ``advance`` has moved the clock."""
        return self._shift[1]

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            base, ahead = self._shift
            self._shift = (base, ahead + delta)
        return self.now()

    def travel_to(self, moment: datetime) -> datetime:
        """Make 'now' this moment, not counted as ahead (tests that depend on the weekday and the time of day)."""
        with self._lock:
            self._shift = (moment - datetime.now(UTC), timedelta())
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._shift = (timedelta(), timedelta())

    def run(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``work`` on this clock: what an entry point does, e.g. as a thread's target."""
        with bound(self):
            return work(*args, **kwargs)


_bound: ContextVar[Clock] = ContextVar("clock")
# Code that runs outside every entry point (a Python shell, a bench script) gets this clock. It is never
# moved, so it tells real time, as every runtime's clock does in production: there an entry point that
# forgot to bind its runtime's clock is harmless. Tests turn it off (``forbid_unbound``) to catch one.
_unbound: Clock | None = Clock()


class UnboundClock(RuntimeError):
    """'now' was asked where no entry point bound a runtime's clock (only raised once ``forbid_unbound``)."""


def now() -> datetime:
    """The time of the clock bound to this context."""
    found = _bound.get(_unbound)
    if found is None:
        raise UnboundClock("no clock is bound here: the entry point that runs this must bind its runtime's clock "
                           "(Clock.run, clock.bound)")
    return found.now()


@contextmanager
def bound(clock: Clock) -> Iterator[Clock]:
    """Within this block, in this context, 'now' is ``clock``'s."""
    token = _bound.set(clock)
    try:
        yield clock
    finally:
        _bound.reset(token)


def forbid_unbound() -> None:
    """From now on, 'now' with no clock bound raises ``UnboundClock`` (tests: an entry point forgot to bind)."""
    global _unbound
    _unbound = None
