"""Slack hears back before the work is done: while another transaction holds the database, a worker's
slash commands and a supervisor's press are still answered at once, and their work lands once it is free.

A request answered only after its work would not arrive until the blocker lets go: the futures below
would time out (the timeout only says "never answered", it measures nothing).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import select, update

from storage.models import Report, ReportStatus
from tests.e2e.test_reports import SUPERVISOR, WORKER, card, file_report, modal

NEVER_ANSWERED = 10  # seconds; SQLite's busy timeout is 15


@contextmanager
def database_held_by_another_writer(h):
    """An open transaction that has written: SQLite's write lock, PostgreSQL's row locks on the reports."""
    with h.db.session() as blocker:
        blocker.execute(update(Report).values(place=Report.place))
        blocker.flush()
        yield
        blocker.rollback()


def answered_without_waiting(h, send):
    h.driver.settle = None  # look at the answer itself, not at the work that follows it
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(send).result(timeout=NEVER_ANSWERED)
    finally:
        pool.shutdown(wait=False)


def status_of(h) -> ReportStatus:
    with h.db.read() as s:
        return s.scalar(select(Report.status).order_by(Report.id.desc()).limit(1))


def test_a_press_is_answered_while_its_step_waits_for_the_database(harness):
    h = harness
    file_report(h)
    report = card(h)
    h.driver.slash(SUPERVISOR, "/triad", "help")  # known to Triad now: who is asking is a pure read
    with database_held_by_another_writer(h):
        press = lambda: h.driver.press_button(SUPERVISOR, report, action_id="report_acknowledge")  # noqa: E731
        answer = answered_without_waiting(h, press)
        assert answer.status == 200 and answer.body == ""
        assert status_of(h) == ReportStatus.NEW  # the step is still waiting its turn
    h.settle()
    assert status_of(h) == ReportStatus.TRIAGE


def test_report_opens_its_form_and_a_submission_closes_it_while_a_writer_holds_the_database(harness):
    h = harness
    file_report(h)  # the worker has used Triad before: the "who is asking" lookup is a pure read
    with database_held_by_another_writer(h):
        answer = answered_without_waiting(h, lambda: h.driver.slash(WORKER, "/report", "oil leaking under press 3"))
        assert answer.status == 200
        form = modal(h, WORKER)  # opened from a read: no need for the writer to finish
        closed = answered_without_waiting(h, lambda: h.driver.submit(WORKER, {}, view=form))
        assert closed.status == 200 and closed.body == "" and h.emulator.open_modal(WORKER) is None
    h.settle()
    with h.db.read() as s:
        assert s.scalar(select(Report.description).order_by(Report.id.desc()).limit(1)) == "oil leaking under press 3"


def test_a_submission_with_a_problem_is_answered_with_inline_errors_and_files_nothing(harness):
    h = harness
    file_report(h)
    h.driver.slash(WORKER, "/report")
    answer = h.driver.submit(WORKER, {"kind": "hazard", "description": "x" * 3001}, enforce_required=False)
    assert "description" in (answer.json or {}).get("errors", {})
    with h.db.read() as s:
        assert len(s.scalars(select(Report.id)).all()) == 1
