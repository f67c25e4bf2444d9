"""What the evidence domain announces (bot/events.py), shown by its Slack side (handlers/evidence/alerts.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events import Dm, Event


@dataclass(frozen=True)
class ChainBroken(Event):
    """An administrator told that ``verify`` found breaks: (kind, seq, entry id) of the first few, and how many."""

    to: Dm
    count: int
    breaks: tuple[tuple[str, int | None, int | None], ...]


@dataclass(frozen=True)
class HeadPublished(Event):
    """An administrator handed the chain's head to keep, outside the database Triad writes."""

    to: Dm
    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class BackdatingBurst(Event):
    """A system owner told that ``count`` records written between ``since`` and ``until`` say they happened more
    than ``days`` days earlier (the burst's own entry: ``entry_id``)."""

    to: Dm
    count: int
    since: datetime
    until: datetime
    days: int
    entry_id: int
