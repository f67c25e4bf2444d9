"""What the organisation's domain announces (bot/events.py), shown by its Slack side (handlers/setup/notices.py)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.events import Dm, Event


@dataclass(frozen=True)
class ChannelAsked(Event):
    """An administrator asked to choose where reports go: ``count`` reports wait, the oldest (``reference``)
    for ``days`` days (0: just filed)."""

    to: Dm
    reference: str
    days: int
    count: int
