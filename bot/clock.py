"""The one source of 'now'. The sandbox moves it forward (``wait 3d``) to try time-based behaviour."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_offset = timedelta()
_lock = threading.Lock()


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> datetime:
    global _offset
    with _lock:
        _offset += delta
    return now()


def reset() -> None:
    global _offset
    with _lock:
        _offset = timedelta()
