"""Slack's Web API rate limits: the outbox paces itself to them and the emulator enforces them.

Slack documents chat.postMessage as about one message per second per channel, short bursts
allowed, with a workspace-wide limit of "several hundred per minute" on top; other methods are
limited per method by tier (Tier 2: 20+/min, Tier 3: 50+/min, Tier 4: 100+/min). Tiers allow
bursts too. ``scaled(factor)`` speeds every limit up by the same factor, so tests and the benchmark
can emulate them in seconds instead of minutes (the same factor is given to both sides).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int  # calls that may go back to back before the steady rate applies

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second


def admit(open_at: float | None, now: float, rate: Rate) -> float | None:
    """One call through a lane paced at ``rate`` (GCRA: a token bucket kept in one number).

    ``open_at`` is when the lane lets the next call go (None for a lane never used). Returns the
    lane's new ``open_at`` if a call may go at ``now``, else None.
    """
    if open_at is not None and open_at > now:
        return None
    tau = (rate.burst - 1) * rate.interval
    theoretical = max(open_at + tau if open_at is not None else now, now) + rate.interval
    return theoretical - tau


def _tier(per_minute: int, burst: int) -> Rate:
    return Rate(per_minute / 60.0, burst)


TIER_2, TIER_3, TIER_4 = _tier(20, 3), _tier(50, 5), _tier(100, 10)


@dataclass(frozen=True)
class Limits:
    channel_post: Rate  # chat.postMessage into one channel (a DM is a channel)
    methods: Mapping[str, Rate] = field(default_factory=dict)  # per method, workspace-wide

    def method(self, name: str) -> Rate | None:
        return self.methods.get(name)

    def scaled(self, factor: float) -> Limits:
        return Limits(Rate(self.channel_post.per_second * factor, self.channel_post.burst),
                      {name: Rate(rate.per_second * factor, rate.burst) for name, rate in self.methods.items()})

    def with_headroom(self) -> Limits:
        """What a sender paces itself to: the same rates with one call less of burst, so that the
        jitter between deciding to send and Slack receiving never tips a lane over Slack's limit."""
        def less(rate: Rate) -> Rate:
            return Rate(rate.per_second, max(1, rate.burst - 1))
        return Limits(less(self.channel_post), {name: less(rate) for name, rate in self.methods.items()})


SLACK = Limits(
    channel_post=Rate(1.0, 3),
    methods={
        "chat.postMessage": _tier(300, 20),  # the workspace-wide limit over all channels
        "chat.update": TIER_3,
        "chat.delete": TIER_3,
        "chat.postEphemeral": TIER_4,
        "chat.getPermalink": TIER_4,
        "conversations.open": TIER_3,
        "conversations.history": TIER_3,
        "conversations.replies": TIER_3,
        "conversations.info": TIER_3,
        "reactions.add": TIER_3,
        "users.info": TIER_4,
        "views.open": TIER_4,
        "views.push": TIER_4,
        "views.update": TIER_4,
        "views.publish": TIER_4,
        "files.getUploadURLExternal": TIER_4,
        "files.completeUploadExternal": TIER_4,
        "files.info": TIER_4,
    },
)
