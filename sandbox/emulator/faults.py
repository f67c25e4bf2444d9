"""Failures on demand and Slack's rate limits: what makes the emulated Slack fail the way the real one does.

``fail()`` injects HTTP errors, timeouts, resets, slow answers, Slack errors and "stored it, still
answered an error"; given ``limits`` (``bot.slack_limits``) the emulator answers 429 with Retry-After
when a caller goes faster than Slack allows.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from bot.slack_limits import Limits, admit
from sandbox.emulator.state import Workspace
from sandbox.emulator.wire import Reply

FAULT_MODES = frozenset({"500", "503", "429", "timeout", "reset", "slow", "process_then_fail", "process_then_reset",
                         "process_then_hang"})
# Modes where the call is performed before the failure: Slack stored the message and still answered an error.
PROCESSED_FAULTS = frozenset({"process_then_fail", "process_then_reset", "process_then_hang"})
SLACK_ERROR_PREFIX = "slack_error:"


@dataclass
class Fault:
    mode: str
    remaining: int | None
    methods: frozenset[str] | None
    retry_after: int
    timeout_sleep: float
    channels: frozenset[str] | None = None
    probability: float = 1.0

    def applies_to(self, method: str, channel: str | None) -> bool:
        return (self.methods is None or method in self.methods) and (self.channels is None or channel in self.channels)


class Faults(Workspace):
    """Injected failures, and the rate-limit lanes that ``limits`` sets."""

    limits: Limits | None

    def __init__(self) -> None:
        super().__init__()
        self._lanes: dict[str, float] = {}  # rate-limit lane -> when it next lets a call through (monotonic)
        self._fault_dice = random.Random(0)
        self._healed = threading.Event()  # wakes requests hanging in "timeout" mode

    def _clear_activity(self) -> None:
        super()._clear_activity()
        self._faults: list[Fault] = []
        self._healed.set()

    def fail(
        self,
        mode: str,
        count: int | None = None,
        methods: list[str] | tuple[str, ...] | set[str] | None = None,
        *,
        retry_after: int = 1,
        timeout_sleep: float = 5.0,
        channels: list[str] | tuple[str, ...] | set[str] | None = None,
        probability: float = 1.0,
    ) -> None:
        """Make the next ``count`` matching requests fail (``None``: until ``heal()``).

        Modes: ``"500"`` / ``"503"`` (HTTP error, body ``error``), ``"429"`` (with
        ``Retry-After: retry_after``), ``"timeout"`` (hang until healed or ``timeout_sleep``
        seconds, then close without answering), ``"reset"`` (TCP reset without answering),
        ``"slow"`` (answer normally after ``timeout_sleep`` seconds or when healed),
        ``"slack_error:<code>"`` (HTTP 200, ``ok: false``) and the ones where Slack stored the
        message and still answered an error, so that a retry may act twice: ``"process_then_fail"``
        (HTTP 500), ``"process_then_reset"`` (TCP reset) and ``"process_then_hang"`` (no answer until
        healed or ``timeout_sleep`` seconds). ``methods`` limits the failure to those API methods (or
        UPLOAD_METHOD, DOWNLOAD_METHOD, RESPONSE_URL_METHOD); ``channels`` to calls into those channels
        (a user id stands for their DM); ``probability`` makes it strike only that share of matching
        requests, at random (seeded: ``seed_faults``).
        """
        if mode not in FAULT_MODES and not (mode.startswith(SLACK_ERROR_PREFIX) and mode[len(SLACK_ERROR_PREFIX) :]):
            raise ValueError(f"unknown failure mode {mode!r}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 (or None for until heal())")
        fault = Fault(mode, count, frozenset(methods) if methods is not None else None, retry_after, timeout_sleep,
                      frozenset(self._resolved_channel(c) for c in channels) if channels is not None else None,
                      probability)
        with self._cond:
            self._faults.append(fault)
            if mode in ("timeout", "slow", "process_then_hang"):
                self._healed.clear()

    def seed_faults(self, seed: int) -> None:
        """Make faults given a ``probability`` strike the same requests on every run."""
        self._fault_dice.seed(seed)

    def heal(self) -> None:
        """Remove every injected failure and release hanging requests."""
        with self._cond:
            self._faults.clear()
            self._healed.set()

    def _rate_limited(self, method: str, channel: str | None, token: str | None = None) -> float | None:
        """Seconds to wait if this call goes over Slack's limits (per method and workspace, the token's), else
        None (and it is counted). Retry-After is sent in whole seconds, as Slack does (slack_sdk reads it as an
        integer), even when limits are scaled."""
        if self.limits is None:
            return None
        team = next((t.id for t in self._teams.values() if t.bot_token == token), None)
        lanes = [(f"{method}@{team}" if team and team != self.team_id else method, self.limits.method(method))]
        if method == "chat.postMessage" and channel:
            lanes.append((f"{method} {channel}", self.limits.channel_post))
        now = time.monotonic()
        with self._cond:
            booked = {}
            for name, rate in lanes:
                if rate is None:
                    continue
                after = admit(self._lanes.get(name), now, rate)
                if after is None:
                    return max(0.001, self._lanes[name] - now)
                booked[name] = after
            self._lanes.update(booked)
        return None

    def _take_fault(self, method: str, channel: str | None) -> Fault | None:
        """The injected failure for this request, if any; counts it down."""
        with self._cond:
            for fault in self._faults:
                if fault.applies_to(method, channel) and (
                        fault.probability >= 1 or self._fault_dice.random() < fault.probability):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
            return None

    def _injected_reply(self, method: str, args: dict[str, Any], fault: Fault | None) -> Reply | None:
        """The reply of an injected failure that replaces the call (recorded), or None to go on.

        "process_then_fail" goes on: the caller performs the call and answers
        ``PROCESSED_THEN_FAILED``.
        """
        if fault is not None and fault.mode == "slow":
            self._healed.wait(fault.timeout_sleep)  # in the handler thread, outside the lock
            return None
        if fault is None or fault.mode in PROCESSED_FAULTS:
            return None
        self._record(method, args, ok=False, fault=fault.mode)
        return self._fault_reply(fault)

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.mode in ("500", "503"):
            return Reply.text(int(fault.mode), "error")
        if fault.mode == "429":
            retry_after = str(math.ceil(fault.retry_after))
            return Reply.json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry_after})
        if fault.mode == "reset":
            return Reply(action="reset")
        if fault.mode == "timeout":
            self._healed.wait(fault.timeout_sleep)  # in the handler thread, outside the lock
            return Reply(action="close")
        return Reply.json(200, {"ok": False, "error": fault.mode[len(SLACK_ERROR_PREFIX) :]})
