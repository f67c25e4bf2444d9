"""The outbox at Slack's limits: 5,000 DMs to 5,000 people plus 300 posts to one channel, with 10 % faults.

The Slack emulator enforces Slack's rate limits (chat.postMessage about 1 a second per channel with
short bursts and a workspace-wide limit, every other method per its tier) time-scaled by
BENCH_OUTBOX_SCALE (default 20: a channel takes 20 posts a second; Slack's real limits would make
one run take 20 times longer, at the same ratios). 10 % of Web API calls fail at random, spread over
every fault mode: 500, 503, 429, a reset, a timeout, and the three where Slack stored the message
and still answered an error (500, reset, no answer). The outbox runs as in production: its delivery
threads in this process, on SQLite (or $BENCH_DATABASE_URL).

Targets: the DMs drain at >= 80 % of the emulated limit, the busy channel never exceeds its rate,
no 429 from the emulated limits, 0 duplicates and 0 lost. Runs BENCH_OUTBOX_RUNS times (default 3)
and prints min / median / max. Exits 1 if a target is missed.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)

from sqlalchemy import func, select  # noqa: E402

from bot import outbox  # noqa: E402
from bot import runtime as rt  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.gateway import OUTBOX_EVENT  # noqa: E402
from bot.slack_limits import SLACK  # noqa: E402
from sandbox.emulator import SlackEmulator  # noqa: E402
from storage import migrate  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

PEOPLE, CHANNEL_POSTS, BUSY = int(os.environ.get("BENCH_OUTBOX_PEOPLE", "5000")), 300, "C0BUSY"
FAULT_SHARE = 0.10
FAULT_MODES = ("500", "503", "429", "reset", "timeout", "process_then_fail", "process_then_reset", "process_then_hang")
TOKEN = "xoxb-bench"


def one_run(url: str, scale: float, seed: int) -> dict[str, float]:
    limits = SLACK.scaled(scale)
    emulator = SlackEmulator(bot_token=TOKEN, limits=limits, validate_blocks=False).start()
    people = [f"U{n:05d}" for n in range(PEOPLE)]
    for person in people:
        emulator.add_user(person, person.lower(), f"Person {person}")
    emulator.add_channel(BUSY, "busy")
    emulator.seed_faults(seed)
    each = 1 - (1 - FAULT_SHARE) ** (1 / len(FAULT_MODES))  # so that 10 % of calls fail in all
    for mode in FAULT_MODES:
        emulator.fail(mode, probability=each, timeout_sleep=0.5)

    runtime = rt.build(Settings(mode="sandbox", database_url=url), token=TOKEN, api_url=emulator.api_url,
                       slack_limits=limits)
    try:
        with runtime.db.session() as s:  # one commit, as a digest fan-out would make
            for n, person in enumerate(people):
                outbox.post(s, f"dm:{n}", person, {"text": f"Your weekly digest {n}"})
            for n in range(CHANNEL_POSTS):
                outbox.post(s, f"busy:{n}", BUSY, {"text": f"Channel news {n}"})
        started = time.monotonic()
        runtime.start_worker()
        deadline = started + 40 * (PEOPLE + CHANNEL_POSTS) / limits.methods["chat.postMessage"].per_second
        while time.monotonic() < deadline:
            with runtime.db.session() as s:
                if not outbox.pending_count(s):
                    break
            time.sleep(0.25)
        runtime.worker.stop()
        runtime.worker = None
        elapsed = time.monotonic() - started

        with runtime.db.session() as s:
            unsent = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
            sent_at = dict(s.execute(select(OutboxMessage.key, OutboxMessage.sent_at)).all())
        delivered = Counter()
        for message in emulator.messages():
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == OUTBOX_EVENT:
                delivered[metadata["event_payload"]["key"]] += 1
        keys = [f"dm:{n}" for n in range(PEOPLE)] + [f"busy:{n}" for n in range(CHANNEL_POSTS)]
        calls = emulator.calls
        dm_times = [c.at for c in calls if c.method == "chat.postMessage" and c.ok and c.args["channel"] != BUSY]
        posts = [c for c in calls if c.method == "chat.postMessage" and c.ok]
        busy_times = sorted(c.at for c in posts if c.args["channel"] == BUSY)
        rate = limits.channel_post
        excess = max((j - i + 1) - (rate.burst + (busy_times[j] - busy_times[i]) * rate.per_second)
                     for i in range(len(busy_times)) for j in range(i, len(busy_times)))
        dm_drain = (max(dm_times) - started) if dm_times else float("inf")
        workspace = limits.methods["chat.postMessage"].per_second
        busy_share = min(CHANNEL_POSTS, rate.per_second * dm_drain) / dm_drain  # what the busy channel took of it
        return {
            "elapsed": elapsed,
            "dm_rate": PEOPLE / dm_drain,
            "dm_limit": workspace - busy_share,
            "workspace_limit": workspace,
            "busy_drain": (busy_times[-1] - started) if busy_times else float("inf"),
            "busy_peak_1s": max(sum(1 for t in busy_times if a <= t < a + 1) for a in busy_times),
            "busy_excess": excess,
            "limit_429s": sum(1 for c in calls if c.error == "ratelimited" and c.fault is None),
            "fault_share": sum(1 for c in calls if c.fault) / len(calls),
            "stored_then_error": sum(1 for c in calls if c.fault in ("process_then_fail", "process_then_reset",
                                                                     "process_then_hang")),
            "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
            "lost": sum(1 for key in keys if delivered[key] == 0) + unsent,
            "calls": len(calls),
            "sent_rows": sum(1 for key in keys if sent_at.get(key)),
        }
    finally:
        if runtime.worker is not None:
            runtime.worker.stop()
        runtime.db.dispose()
        emulator.stop()


def main() -> int:
    scale = float(os.environ.get("BENCH_OUTBOX_SCALE", "20"))
    runs = int(os.environ.get("BENCH_OUTBOX_RUNS", "3"))
    base = os.environ.get("BENCH_DATABASE_URL")
    results = []
    for run in range(runs):
        url = base or f"sqlite:///{Path(tempfile.mkdtemp()) / 'outbox.sqlite3'}"
        migrate.upgrade(url)
        if base:  # each run starts from an empty outbox
            _empty_outbox(url)
        results.append(one_run(url, scale, seed=run))
        r = results[-1]
        print(f"run {run + 1}: {PEOPLE} DMs + {CHANNEL_POSTS} channel posts in {r['elapsed']:.1f} s, "
              f"{r['calls']} Web API calls, {r['fault_share']:.1%} failed by injection "
              f"({r['stored_then_error']} stored-then-error)", flush=True)

    def spread(name: str, fmt: str = "{:.1f}") -> str:
        values = sorted(r[name] for r in results)
        return " / ".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))

    first = results[0]
    channel_rate = SLACK.channel_post.per_second * scale
    print(f"\nOutbox at Slack's limits, emulated {scale:g}x faster than Slack (channel {channel_rate:g}/s "
          f"burst {SLACK.channel_post.burst}, workspace chat.postMessage {first['workspace_limit']:g}/s); "
          f"min / median / max of {runs} runs")
    rows = [
        ("DM drain rate (DMs/s)", spread("dm_rate"),
         f"emulated limit left by the busy channel {first['dm_limit']:.1f}/s",
         all(r["dm_rate"] >= 0.8 * r["dm_limit"] for r in results), ">= 80 % of it"),
        ("DM drain rate / emulated limit", spread_ratio(results), "", True, ""),
        ("busy channel: peak posts in 1 s", spread("busy_peak_1s", "{:.0f}"),
         f"rate {SLACK.channel_post.per_second * scale:g}/s + burst {SLACK.channel_post.burst}",
         all(r["busy_excess"] <= 0.05 for r in results), "never above its rate"),
        ("busy channel: 300 posts drained in (s)", spread("busy_drain"),
         f"its rate allows {(CHANNEL_POSTS - SLACK.channel_post.burst) / channel_rate:.1f} s", True, ""),
        ("busy channel: most over its bucket", spread("busy_excess", "{:.2f}"), "posts",
         all(r["busy_excess"] <= 0.05 for r in results), "<= 0"),
        ("429s from the emulated limits", spread("limit_429s", "{:.0f}"), "",
         all(r["limit_429s"] == 0 for r in results), "0"),
        ("duplicates", spread("duplicates", "{:.0f}"), "", all(r["duplicates"] == 0 for r in results), "0"),
        ("lost", spread("lost", "{:.0f}"), "", all(r["lost"] == 0 for r in results), "0"),
        ("calls failed by injection", spread("fault_share", "{:.1%}"), "", True, "~10 %"),
    ]
    missed = 0
    for name, value, note, ok, target in rows:
        missed += not ok
        print(f"{'ok  ' if ok else 'MISS'} {name:38} {value:24} {('target ' + target) if target else '':22} {note}")
    return 1 if missed else 0


def spread_ratio(results: list[dict[str, float]]) -> str:
    values = sorted(r["dm_rate"] / r["dm_limit"] for r in results)
    return " / ".join(f"{v:.0%}" for v in (values[0], statistics.median(values), values[-1]))


def _empty_outbox(url: str) -> None:
    from storage.db import Database
    from storage.models import OutboxLane

    db = Database(url)
    with db.session() as s:
        s.query(OutboxMessage).delete()
        s.query(OutboxLane).delete()
    db.dispose()


if __name__ == "__main__":
    sys.exit(main())
