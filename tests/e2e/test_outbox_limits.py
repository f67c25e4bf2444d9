"""The outbox at Slack's real limits, through the real emulator: rate limits, slow calls, crashes, deploys, outages."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot import outbox
from bot.outbox import CLAIM_FOR, THREAD_GONE_NOTE
from bot.slack_limits import SLACK
from sandbox.demo import PLANT
from sandbox.harness import Harness
from storage.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


def owe(h, key: str, channel: str = "C0STAMP", text: str | None = None, **kwargs) -> None:
    with h.db.session() as s:
        outbox.post(s, key, channel, {"text": text or key}, **kwargs)


def texts(h, channel: str) -> list[str]:
    return [m["text"] for m in h.emulator.messages(channel)]


def row(h, key: str) -> OutboxMessage:
    with h.db.session() as s:
        return s.scalar(select(OutboxMessage).where(OutboxMessage.key == key))


def limited(h) -> list:
    """Calls Slack refused for going over its limits (not injected faults)."""
    return [c for c in h.emulator.calls if c.error == "ratelimited" and c.fault is None]


def pause_worker(h) -> None:
    h.runtime.worker.stop()
    h.runtime.worker = None


# --- rate limits --------------------------------------------------------------------------------------

def test_a_rate_limited_channel_waits_out_its_retry_after_while_other_channels_go_on(harness):
    h = harness
    h.emulator.fail("429", count=1, methods=["chat.postMessage"], channels=["C0STAMP"], retry_after=2)
    started = time.monotonic()
    owe(h, "stamping: oil on the floor", "C0STAMP")
    owe(h, "painting: booth filter clogged", "C0PAINT")
    owe(h, "a DM to Li", "U0LI")
    h.emulator.wait_for(lambda: h.emulator.messages("C0PAINT") and h.emulator.dm_messages("U0LI"), timeout=3)
    assert time.monotonic() - started < 1.0  # not held up by stamping's 429

    h.emulator.wait_for(lambda: h.emulator.messages("C0STAMP"), timeout=5)
    refused, accepted = h.emulator.calls_to("chat.postMessage")[0], h.emulator.calls_to("chat.postMessage")[-1]
    stamping = [c for c in h.emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0STAMP"]
    assert [c.fault for c in stamping] == ["429", None]
    assert stamping[1].at - stamping[0].at >= 2  # Retry-After honoured, not retried sooner
    assert stamping[1].at - stamping[0].at < 4
    assert refused and accepted and texts(h, "C0STAMP") == ["stamping: oil on the floor"]


def test_a_rate_limited_method_holds_back_that_method_only(harness):
    h = harness
    owe(h, "card", text="report card")
    h.deliver()
    h.emulator.fail("429", count=1, methods=["chat.update"], retry_after=2)
    started = time.monotonic()
    with h.db.session() as s:
        outbox.update(s, "card:acknowledged", "card", {"text": "report card: acknowledged"})
        outbox.post(s, "painting news", "C0PAINT", {"text": "painting news"})
    h.emulator.wait_for(lambda: h.emulator.messages("C0PAINT"), timeout=2)
    assert time.monotonic() - started < 1.0
    h.emulator.wait_for(lambda: texts(h, "C0STAMP") == ["report card: acknowledged"], timeout=5)
    updates = h.emulator.calls_to("chat.update")
    assert [c.fault for c in updates] == ["429", None] and updates[1].at - updates[0].at >= 2


def test_a_busy_channel_is_paced_to_slacks_rate_while_dms_go_out_alongside(settings, db, clock):
    limits = SLACK.scaled(10)  # 10 posts a second per channel (bursts of 3): Slack's limit, ten times faster
    h = Harness(settings, slack_limits=limits, clock=clock).start(migrate_db=False)
    try:
        pause_worker(h)
        people = ["U0ZHANG", "U0LI", "U0CHEN", "U0WANG", "U0LIU", "U0ZHAO"]
        with h.db.session() as s:
            for n in range(30):
                outbox.post(s, f"stamping:{n}", "C0STAMP", {"text": f"stamping {n}"})
            for person in people:
                outbox.post(s, f"dm:{person}", person, {"text": f"hello {person}"})
        h.runtime.start_worker()
        h.emulator.wait_for(lambda: len(h.emulator.messages("C0STAMP")) == 30, timeout=15)

        assert limited(h) == []  # the outbox never went faster than Slack allows
        assert texts(h, "C0STAMP") == [f"stamping {n}" for n in range(30)]  # in order
        posts = [c.at for c in h.emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0STAMP" and c.ok]
        rate = limits.channel_post
        for i in range(len(posts)):
            for j in range(i + 1, len(posts)):
                assert j - i + 1 <= rate.burst + (posts[j] - posts[i]) * rate.per_second + 0.5
        dms = [c.at for c in h.emulator.calls_to("chat.postMessage") if c.args["channel"].startswith("U0")]
        assert len(dms) == len(people) and max(dms) < posts[15]  # DMs did not queue behind the busy channel
    finally:
        h.stop()


# --- a slow Slack never holds up a person -----------------------------------------------------------

def test_a_stuck_slack_call_does_not_hold_up_a_persons_request_or_any_database_write(harness):
    h = harness
    h.emulator.fail("timeout", count=1, methods=["chat.postMessage"], timeout_sleep=4)
    owe(h, "stuck", "C0PAINT")
    deadline = time.monotonic() + 3
    while row(h, "stuck").claimed_until is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert row(h, "stuck").claimed_until is not None  # the post is in flight, hanging

    started = time.monotonic()
    owe(h, "another", "C0QUALITY")
    assert time.monotonic() - started < 0.5  # a write goes through while Slack hangs
    assert h.driver.slash("U0ZHANG", "/report", "hazard guard missing on press 3").status == 200
    h.emulator.wait_for(lambda: h.emulator.open_modal("U0ZHANG"), timeout=2)
    started = time.monotonic()
    response = h.driver.submit("U0ZHANG", {})
    assert response.status == 200 and time.monotonic() - started < 1.5  # and so is a person's submission
    assert h.emulator.messages("C0PAINT") == []  # still hanging

    h.emulator.heal()
    h.emulator.wait_for(lambda: h.emulator.messages("C0PAINT"), timeout=15)
    time.sleep(0.2)
    assert texts(h, "C0PAINT") == ["stuck"]


# --- thread_not_found ------------------------------------------------------------------------------------

def test_a_reply_whose_thread_was_deleted_is_posted_in_the_channel_once_and_never_retried(harness):
    h = harness
    owe(h, "card", text="report card")
    h.deliver()
    card = h.emulator.messages("C0STAMP")[0]
    h.emulator.delete_message("C0STAMP", card["ts"])

    owe(h, "reply", text="Li acknowledged the report", thread_key="card")
    h.deliver()
    posted = h.emulator.messages("C0STAMP")
    assert len(posted) == 1 and not posted[0].get("thread_ts")
    assert posted[0]["text"] == f"{THREAD_GONE_NOTE}\nLi acknowledged the report"
    assert row(h, "reply").status == "sent"

    owe(h, "second reply", text="Chen was given an action", thread_key="card")
    h.deliver()
    assert [m["text"].split("\n")[-1] for m in h.emulator.messages("C0STAMP")] == [
        "Li acknowledged the report", "Chen was given an action"]
    refused = [c for c in h.emulator.calls_to("chat.postMessage") if c.error == "thread_not_found"]
    assert len(refused) == 1  # the second reply knew the thread was gone


# --- outages --------------------------------------------------------------------------------------

def test_after_an_outage_the_120_messages_owed_go_out_promptly(harness, clock):
    h = harness
    pause_worker(h)
    h.emulator.fail("503")
    channels = list(PLANT.channels)
    with h.db.session() as s:
        for n in range(120):
            outbox.post(s, f"owed:{n}", channels[n % len(channels)], {"text": f"owed {n}"})
    for seconds in (0, 1, 2, 4, 8, 16):  # a minute of outage: each retry fails and backs off further
        clock.advance(timedelta(seconds=seconds))
        h.deliver()
    assert row(h, "owed:0").attempts >= 5
    with h.db.session() as s:  # as a longer outage leaves them (the rounds above take real seconds when busy)
        s.execute(update(OutboxMessage).where(OutboxMessage.key.like("owed:%"))
                  .values(next_attempt_at=clock.now() + outbox.MAX_BACKOFF))

    h.emulator.heal()
    h.runtime.start_worker()
    started = time.monotonic()
    owe(h, "a new report card", "C0STAMP")  # Slack answers it: Slack is back
    h.emulator.wait_for(lambda: len(h.emulator.messages()) == 121, timeout=10)
    assert time.monotonic() - started < 5
    assert sorted(m["text"] for m in h.emulator.messages() if m["text"].startswith("owed")) == sorted(
        f"owed {n}" for n in range(120))


# --- crashes and deploys -------------------------------------------------------------------------------

def _triad(h, *args: str, port: int | None = None, log: Path) -> subprocess.Popen:
    """Triad in its own process, against the test's database and emulated Slack."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=h.settings.database_url, SLACK_BOT_TOKEN="xoxb-sandbox",
               SLACK_SIGNING_SECRET=h.settings.signing_secret, SLACK_API_URL=h.emulator.api_url,
               TRIAD_SCHEDULER="off", LOG_LEVEL="INFO", PORT=str(port or _free_port()))
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=log.parent, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _wait_in_flight(h, key: str, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    """Until the other process has claimed the message and is calling Slack with it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = row(h, key)
        # Seen only once sent: the other process held the database while it called Slack.
        assert current.status == "pending", "the delivery was never seen in flight"
        if current.claimed_until is not None:
            return
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{key} was never picked up:\n{log.read_text()}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.real_clock  # a second Triad process runs on the real clock
def test_kill_9_while_a_card_is_in_flight_then_a_restart_posts_it_once(harness, tmp_path, clock):
    h = harness
    pause_worker(h)
    h.emulator.fail("process_then_hang", count=1, methods=["chat.postMessage"], timeout_sleep=30)
    owe(h, "card", text="report card")
    process = _triad(h, "clock", log=tmp_path / "clock.log")
    try:
        h.emulator.wait_for(lambda: h.emulator.messages("C0STAMP"), timeout=20)  # Slack has it; no answer yet
    finally:
        process.kill()
        process.wait()
    h.emulator.heal()

    clock.advance(CLAIM_FOR)  # the dead process's claim lapses
    h.deliver()
    assert texts(h, "C0STAMP") == ["report card"]
    assert row(h, "card").status == "sent"
    assert h.emulator.calls_to("conversations.history")  # it looked before it posted


@pytest.mark.parametrize("process", ["clock", "web"])
def test_sigterm_lets_the_delivery_in_flight_finish(harness, tmp_path, process):
    h = harness
    pause_worker(h)
    h.emulator.fail("slow", count=1, methods=["chat.postMessage"], timeout_sleep=1.5)
    owe(h, "card", text="report card")
    log = tmp_path / f"{process}.log"
    triad = _triad(h, *(["clock"] if process == "clock" else []), port=_free_port(), log=log)
    try:
        _wait_in_flight(h, "card", triad, log)
        triad.send_signal(signal.SIGTERM)  # a deploy, while Slack is still answering
        triad.wait(timeout=25)
    finally:
        if triad.poll() is None:
            triad.kill()
    assert row(h, "card").status == "sent", log.read_text()
    assert texts(h, "C0STAMP") == ["report card"]
    assert len(h.emulator.calls_to("chat.postMessage")) == 1


@pytest.mark.real_clock  # a second Triad process runs on the real clock
def test_a_clock_process_delivers_what_a_web_process_without_an_outbox_commits_within_a_second(harness, tmp_path):
    """Under load the web processes run with TRIAD_OUTBOX=off; their commits cannot wake another process."""
    h = harness
    pause_worker(h)  # this process is the web process: it writes and never sends
    log = tmp_path / "clock.log"
    process = _triad(h, "clock", log=log)
    try:
        owe(h, "before the clock looked", text="first card")
        h.emulator.wait_for(lambda: h.emulator.messages("C0STAMP"), timeout=20)  # the clock is up and delivering
        time.sleep(1)  # the clock is idle now, sleeping until its next job
        started = time.monotonic()
        owe(h, "while the clock slept", text="second card")
        h.emulator.wait_for(lambda: len(h.emulator.messages("C0STAMP")) == 2, timeout=5)
        assert time.monotonic() - started < 1.0, log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=25)
    assert texts(h, "C0STAMP") == ["first card", "second card"]


def test_the_outbox_setting_is_checked():
    from bot.config import ConfigError, load

    assert load({}).outbox == "embedded"
    assert load({"TRIAD_OUTBOX": "off"}).outbox == "off"
    with pytest.raises(ConfigError, match="TRIAD_OUTBOX"):
        load({"TRIAD_OUTBOX": "later"})
