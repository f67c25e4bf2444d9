"""Each runtime keeps its own time (issue 7: the runtime, its clock too, is passed in, not looked up from a global):
what a runtime's requests, jobs and delivery threads do happens on its clock, whatever the others' say."""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import select

from bot import domains
from bot.clock import Clock
from bot.server import socket_mode_handler
from sandbox.harness import Harness
from storage.models import OutboxMessage, ProcessedEvent, Report
from tests.e2e.test_reports import SUPERVISOR, WORKER, file_report, report_row


def run_the_sweeps(h: Harness) -> None:
    """What the scheduler runs every few minutes, on the runtime's clock as its job runs are (bot/scheduler.py)."""
    h.runtime.clock.run(domains.run_time_sweeps, h.runtime)


def reminders(h: Harness, to: str) -> list[OutboxMessage]:
    with h.db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("report:%:nudge:%"),
                                                          OutboxMessage.channel == to)))


def is_nudge(message: dict) -> bool:
    return (message.get("blocks") or [{}])[-1].get("block_id", "").startswith("nudge:")


def test_two_runtimes_in_one_process_each_remind_and_deliver_on_their_own_clock(settings, db, clock):
    today = Harness(settings, clock=clock).start(migrate_db=False)
    three_days_on = Clock()
    three_days_on.travel_to(clock.now() + timedelta(days=3))  # Thursday 09:00 in Shanghai
    later = Harness(settings, clock=three_days_on).start(migrate_db=False, load_org=False)  # the same plant
    try:
        file_report(today)  # over HTTP: Monday 09:00 by its runtime's clock
        today.settle()
        assert abs(report_row(today).created_at - clock.now()) < timedelta(minutes=1)

        run_the_sweeps(today)
        assert reminders(today, SUPERVISOR) == []  # a working day has not passed by its clock

        run_the_sweeps(later)
        [reminder] = reminders(later, SUPERVISOR)  # three days have by this one's
        assert abs(reminder.created_at - three_days_on.now()) < timedelta(minutes=1)
        # Both outbox workers are woken by its commit, each in threads on its runtime's clock: to the first, the
        # reminder held until Thursday is not due yet; the other sends it.
        later.emulator.wait_for(lambda: any(is_nudge(m) for m in later.emulator.dm_messages(SUPERVISOR)),
                                description="the reminder, delivered by the runtime three days ahead")
        assert not any(is_nudge(m) for m in today.emulator.dm_messages(SUPERVISOR))
    finally:
        later.stop()
        today.stop()


FIVE_YEARS_ON = datetime(2031, 6, 2, 1, 0, tzinfo=UTC)  # a Monday morning in Shanghai


def test_a_request_served_over_http_runs_on_its_runtimes_clock(settings, db, clock):
    elsewhere = Clock()
    elsewhere.travel_to(FIVE_YEARS_ON)
    h = Harness(settings, clock=elsewhere).start(migrate_db=False)
    try:
        file_report(h)
        h.settle()
        with h.db.session() as s:
            report = s.scalars(select(Report)).one()
            assert report.reference.startswith("HZ-2031-")
            assert abs(report.created_at - elsewhere.now()) < timedelta(minutes=1)
        assert clock.now().year == 2026  # the test's own clock, bound where it runs, stayed where it was
    finally:
        h.stop()



def test_a_socket_mode_message_runs_on_its_runtimes_clock(settings, db):
    elsewhere = Clock()
    elsewhere.travel_to(FIVE_YEARS_ON)
    h = Harness(settings, clock=elsewhere).start(migrate_db=False)
    handler = socket_mode_handler(h.runtime, h.app, "xapp-1-test")  # never connected: its messages are handed over
    answered: list[object] = []
    event = {"type": "event_callback", "event_id": "EvSOCKET1", "team_id": h.emulator.team_id,
             "api_app_id": h.emulator.app_id, "event": {"type": "app_home_opened", "user": WORKER, "tab": "home",
                                                         "channel": h.emulator.dm_channel(WORKER), "event_ts": "1.0"}}
    message = SocketModeRequest(type="events_api", envelope_id="envelope-1", payload=event)
    try:
        # In a thread of its own, started with an empty context, as slack_sdk's are.
        slack = SimpleNamespace(send_socket_mode_response=answered.append, logger=logging.getLogger("socket"))
        receiver = threading.Thread(target=handler.handle, args=(slack, message))
        receiver.start()
        receiver.join(timeout=10)
        h.settle()
        assert answered, "the message was not acknowledged"
        with h.db.session() as s:
            received_at = s.scalars(select(ProcessedEvent.received_at)).one()
        assert abs(received_at - elsewhere.now()) < timedelta(minutes=1)
    finally:
        handler.client.close()
        h.stop()
