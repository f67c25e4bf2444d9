"""Slack hears back before the work is done: while another transaction holds the database, a worker's
slash commands and a supervisor's press are still answered at once, and their work lands once it is free.

A request answered only after its work would not arrive until the blocker lets go: the futures below
would time out (the timeout only says "never answered", it measures nothing).
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, select, update

from bot import audit
from sandbox.harness import Harness
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    Organisation,
    Person,
    Report,
    ReportStatus,
    Role,
    RoleAssignment,
)
from tests.e2e.test_reports import SUPERVISOR, WORKER, card, dm_with, file_report, modal
from tests.e2e.test_setup import OWNER, open_page, redrawn
from tests.e2e.test_setup import edit as edit_setup

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


# --- forms: answered from a read, saved after the answer ------------------------------------------------

ACTION = {"type": "correction", "description": "Refit the guard on press 3", "owner": WORKER}


def opened_form(h, user: str, message, action_id: str) -> dict:
    h.driver.press_button(user, message, action_id=action_id)
    return modal(h, user)


def actions(h) -> list[str]:
    with h.db.read() as s:
        return list(s.scalars(select(CorrectiveAction.description).order_by(CorrectiveAction.id)))


def audit_rows(h) -> int:
    with h.db.read() as s:
        return len(audit.decisions(s))


def not_saved_dms(h, user: str, needle: str) -> list[str]:
    h.deliver()
    return [m.get("text", "") for m in h.emulator.dm_messages(user) if needle in m.get("text", "")]


@contextmanager
def changed_by_someone_else_meanwhile(h, **report):
    """Someone else's transaction holds the database while a form is answered, then changes the report and
    commits: the form's save, which waited its turn, finds the report no longer as the form saw it."""
    with h.db.session() as other:
        other.execute(update(Report).values(place=Report.place))
        other.flush()
        yield
        other.execute(update(Report).values(**report))


def test_triage_and_action_forms_close_while_a_writer_holds_the_database_and_save_after(harness):
    h = harness
    file_report(h)
    h.driver.slash(SUPERVISOR, "/triad", "help")
    risk = opened_form(h, SUPERVISOR, card(h), "report_assess")
    with database_held_by_another_writer(h):
        closed = answered_without_waiting(h, lambda: h.driver.submit(
            SUPERVISOR, {"likelihood": "3", "severity": "4"}, view=risk))
        assert closed.status == 200 and closed.body == "" and h.emulator.open_modal(SUPERVISOR) is None
        assert status_of(h) == ReportStatus.NEW  # answered from a read: the save waits its turn
    h.settle()
    assert status_of(h) == ReportStatus.TRIAGE
    h.driver.settle = h.settle

    form = opened_form(h, SUPERVISOR, card(h), "report_assign")
    with database_held_by_another_writer(h):
        closed = answered_without_waiting(h, lambda: h.driver.submit(SUPERVISOR, ACTION, view=form))
        assert closed.status == 200 and closed.body == "" and actions(h) == []
    h.settle()
    assert actions(h) == ["Refit the guard on press 3"] and status_of(h) == ReportStatus.ACTION


def test_a_form_with_problems_stays_open_with_inline_errors_and_nothing_is_written(harness):
    h = harness
    file_report(h)
    form = opened_form(h, SUPERVISOR, card(h), "report_assign")
    before = audit_rows(h)
    with database_held_by_another_writer(h):  # field problems need neither the database nor its lock
        answer = answered_without_waiting(h, lambda: h.driver.submit(
            SUPERVISOR, {**ACTION, "owner": SUPERVISOR, "description": ""}, view=form, enforce_required=False))
    assert set(answer.json["errors"]) == {"description", "verifier"}
    h.driver.settle = h.settle
    past = h.driver.submit(SUPERVISOR, {**ACTION, "due_on": "2020-01-01"}, view=form)  # needs the plant's today
    assert set(past.json["errors"]) == {"due_on"}
    assert actions(h) == [] and audit_rows(h) == before and status_of(h) == ReportStatus.NEW


def test_a_form_sent_by_someone_who_no_longer_may_is_refused_from_a_read_and_the_refusal_recorded(harness):
    h = harness
    file_report(h)
    opened_form(h, SUPERVISOR, card(h), "report_assign")
    with h.db.session() as s:  # Li stops supervising Stamping while her form is open
        li = s.scalar(select(Person.id).where(Person.slack_user_id == SUPERVISOR))
        s.execute(delete(RoleAssignment).where(RoleAssignment.person_id == li, RoleAssignment.role == Role.SUPERVISOR))
    refused = h.driver.submit(SUPERVISOR, ACTION)
    assert refused.json["response_action"] == "update" and "Sorry, only" in json.dumps(refused.json["view"])
    with h.db.read() as s:
        last = audit.decisions(s)[-1]
    assert (last.step, last.allowed) == ("report.assign_action", False) and actions(h) == []


def test_an_action_form_saved_after_the_report_was_rejected_meanwhile_is_given_back_by_dm(harness):
    h = harness
    file_report(h)
    form = opened_form(h, SUPERVISOR, card(h), "report_assign")
    with changed_by_someone_else_meanwhile(h, status=ReportStatus.REJECTED, rejection="not_an_issue"):
        answer = answered_without_waiting(h, lambda: h.driver.submit(SUPERVISOR, ACTION, view=form))
        assert answer.status == 200 and answer.body == ""  # the form closed: it looked fine when it was sent
    h.settle()
    assert actions(h) == []
    [told] = not_saved_dms(h, SUPERVISOR, "was not saved")
    assert "was rejected" in told and "Refit the guard on press 3" in told


def test_a_done_form_saved_after_the_report_was_closed_meanwhile_is_given_back_in_chinese(harness):
    h = harness
    file_report(h)
    h.driver.settle = h.settle
    h.driver.press_button(SUPERVISOR, card(h), action_id="report_assign")
    modal(h, SUPERVISOR)
    h.driver.submit(SUPERVISOR, ACTION)
    done = opened_form(h, WORKER, dm_with(h, WORKER, "action_done"), "action_done")
    with changed_by_someone_else_meanwhile(h, status=ReportStatus.CLOSED):
        answer = answered_without_waiting(h, lambda: h.driver.submit(WORKER, {"note": "新防护罩已装好"}, view=done))
        assert answer.status == 200 and answer.body == ""
    h.settle()
    [told] = not_saved_dms(h, WORKER, "未能保存")
    assert "已关闭" in told and "新防护罩已装好" in told
    with h.db.read() as s:
        assert s.scalar(select(CorrectiveAction.status)) == ActionStatus.OPEN


def test_an_action_form_delivered_twice_creates_one_action(harness):
    h = harness
    file_report(h)
    form = opened_form(h, SUPERVISOR, card(h), "report_assign")
    with database_held_by_another_writer(h):  # both deliveries answered before either is saved
        first = answered_without_waiting(h, lambda: h.driver.submit(SUPERVISOR, ACTION, view=form))
        again = answered_without_waiting(h, lambda: h.driver.resend(first))
        assert (first.status, first.body, again.status, again.body) == (200, "", 200, "")
    h.settle()
    late = h.driver.resend(first)  # and once more, after it was saved
    h.settle()
    assert late.status == 200 and late.body == ""
    assert actions(h) == ["Refit the guard on press 3"]
    assert not_saved_dms(h, SUPERVISOR, "was not saved") == []


@pytest.fixture
def new_plant(settings, db, clock):
    """Setting up in Slack: no organisation file loaded (as in test_setup)."""
    h = Harness(settings, org_file=None, clock=clock).start(migrate_db=False)
    yield h
    h.stop()


def test_a_set_up_form_returns_to_the_page_at_once_and_is_saved_and_shown_after(new_plant):
    h = new_plant
    open_page(h)
    form = edit_setup(h, "general")
    values = {"name": "Riverside Stamping Works", "language": "en", "timezone": "Asia/Shanghai"}
    with h.db.session() as other:  # holds the organisation's row (PostgreSQL) and the write lock (SQLite)
        other.execute(update(Organisation).values(name=Organisation.name))
        other.flush()
        answer = answered_without_waiting(h, lambda: h.driver.submit(OWNER, values, view=form))
        assert answer.status == 200 and answer.body == ""
        with h.db.read() as s:
            assert s.scalar(select(Organisation.name)) != "Riverside Stamping Works"
        other.rollback()
    h.settle()
    redrawn(h, OWNER, "Riverside Stamping Works")


def test_a_set_up_form_with_a_problem_stays_open_and_nothing_is_written(new_plant):
    h = new_plant
    open_page(h)
    form = edit_setup(h, "triage")
    before = audit_rows(h)
    answer = h.driver.submit(OWNER, {"channel": "D0ZHAO"}, view=form)
    assert "Choose a channel, not a direct message" in answer.json["errors"]["channel"]
    assert audit_rows(h) == before


# --- who is asking: Slack is asked about a newcomer after the ack ---------------------------------------

def test_a_newcomer_is_answered_before_slack_is_asked_who_they_are_and_then_in_their_language(harness):
    h = harness
    h.emulator.add_user("U0SUN", "sun", "Sun Li", locale="zh-CN", tz="Asia/Shanghai")
    h.emulator.fail("slow", count=1, methods=["users.info"], timeout_sleep=0.9)  # Slack takes its time
    answer = h.driver.slash("U0SUN", "/triad", "help")
    assert answer.status == 200 and answer.elapsed < 0.6  # the ack did not wait for users.info
    h.emulator.wait_for(lambda: h.emulator.ephemerals("U0SUN"), description="the help answer")
    # Slack was asked after the ack and before the answer, which is in Sun's language
    assert "Triad 能为您做什么" in json.dumps(h.emulator.ephemerals("U0SUN"), ensure_ascii=False)
    with h.db.read() as s:
        sun = s.scalar(select(Person).where(Person.slack_user_id == "U0SUN"))
        assert (sun.name_en, sun.slack_locale, sun.timezone) == ("Sun Li", "zh-CN", "Asia/Shanghai")
