"""The one source of 'now'. The sandbox moves it forward (``wait 3d``) to try time-based behaviour."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_offset = timedelta()  # moved by advance (the sandbox's wait): how far ahead of the real clock
_base = timedelta()  # set by travel_to (tests pinned to a known weekday and hour): not "ahead"
_lock = threading.Lock()


def now() -> datetime:
    return datetime.now(UTC) + _base + _offset


def ahead() -> timedelta:
    """How far ``advance`` has moved the clock."""
    return _offset


def advance(delta: timedelta) -> datetime:
    global _offset
    with _lock:
        _offset += delta
    return now()


def travel_to(moment: datetime) -> datetime:
    """Make 'now' this moment (tests that depend on the time of day and the weekday: working hours)."""
    global _base, _offset
    with _lock:
        _base, _offset = moment - datetime.now(UTC), timedelta()
    return now()


def reset() -> None:
    global _offset, _base
    with _lock:
        _offset = _base = timedelta()
