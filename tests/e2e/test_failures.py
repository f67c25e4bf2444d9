"""A listener that fails tells the person, in their language, that nothing they wrote was lost."""
from __future__ import annotations

import json
from contextlib import contextmanager

from sqlalchemy import func, select

from sandbox.emulator import interactive_elements
from storage.db import Database
from storage.models import Report

WORKER, SUPERVISOR = "U0ZHANG", "U0LI"  # Zhang reads Chinese, Li English


@contextmanager
def database_unreachable(h, *, reads_too: bool = True):
    """The app's database goes away (a real engine on a path that cannot be opened), then comes back;
    with ``reads_too=False`` only its writes fail, as when a disk fills up."""
    db = h.runtime.db
    engine, factory, read_factory = db.engine, db._factory, db._read_factory
    gone = Database("sqlite:////nonexistent-directory/triad.sqlite3")
    db._factory = gone._factory
    if reads_too:
        db.engine, db._read_factory = gone.engine, gone._read_factory
    try:
        yield
    finally:
        db.engine, db._factory, db._read_factory = engine, factory, read_factory
        gone.dispose()


def texts(messages) -> str:
    return json.dumps(messages, ensure_ascii=False)


def reports(h) -> int:
    with h.db.session() as s:
        return s.scalar(select(func.count()).select_from(Report))


def test_a_command_that_fails_answers_with_the_persons_words_to_send_again(harness):
    h = harness
    with database_unreachable(h):
        response = h.driver.slash(WORKER, "/report", "3号压机漏油")
    assert response.status == 200 and response.elapsed < 3
    seen = texts(h.emulator.wait_for(lambda: h.emulator.ephemerals(WORKER)))
    assert "出了点问题" in seen and "没有丢失" in seen and "/report 3号压机漏油" in seen


def test_a_press_that_fails_is_answered_privately_where_it_was_pressed(harness):
    h = harness
    h.driver.slash(WORKER, "/report", "hazard guard missing on press 3")
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    h.driver.submit(WORKER, {})
    h.deliver()
    card = next(m for m in h.emulator.messages("C0STAMP") if "report_acknowledge" in texts(m))
    with database_unreachable(h):
        response = h.driver.press_button(SUPERVISOR, card, action_id="report_acknowledge")
    assert response.status == 200 and response.elapsed < 3
    seen = texts(h.emulator.wait_for(lambda: h.emulator.ephemerals(SUPERVISOR)))
    assert "Something went wrong on our side" in seen and "Nothing you wrote was lost" in seen


def test_a_form_that_fails_to_save_stays_beneath_the_error_and_saves_once_it_can(harness):
    h = harness
    h.driver.slash(WORKER, "/report", "hazard guard missing on press 3")
    form = h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    with database_unreachable(h):
        response = h.driver.submit(WORKER, {})
    assert response.status == 200 and response.json["response_action"] == "push"
    stack = h.emulator.modal_stack(WORKER)
    assert [v["id"] for v in stack][:1] == [form["id"]] and len(stack) == 2  # the form is still there
    assert "保存此表单时出了点问题" in texts(stack[-1]) and "没有丢失" in texts(stack[-1])
    assert reports(h) == 0
    h.driver.close(WORKER)  # Back: to the form as it was
    assert h.emulator.open_modal(WORKER)["id"] == form["id"]
    h.driver.submit(WORKER, {})
    assert reports(h) == 1


def test_a_form_that_fails_to_save_after_it_closed_gives_the_person_their_words_back(harness):
    """The report form closes at its ack and is filed just after: if that fails, what was typed comes back by DM."""
    h = harness
    h.driver.slash(WORKER, "/report", "hazard guard missing on press 3")
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    with database_unreachable(h, reads_too=False):
        response = h.driver.submit(WORKER, {})
    assert response.status == 200 and response.json is None and h.emulator.open_modal(WORKER) is None
    seen = texts(h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(WORKER) if "没有丢失" in texts(m)]))
    assert "保存时出了点问题" in seen and "guard missing on press 3" in seen
    assert reports(h) == 0


def test_a_direct_message_that_fails_is_answered_in_the_conversation(harness):
    h = harness
    with database_unreachable(h):
        assert h.driver.dm(SUPERVISOR, "oil leaking under press 3").status == 200
    seen = texts(h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(SUPERVISOR)
                                              if m.get("user") != SUPERVISOR]))
    assert "Nothing you wrote was lost: your message is still here" in seen


def test_a_listener_that_fails_after_its_ack_answers_at_once_and_says_so(harness):
    """Slack refuses the modal (after the ack): the answer is not held 3 s, and the person hears of it."""
    h = harness
    h.emulator.fail("slack_error:internal_error", methods=["views.open"])
    response = h.driver.shortcut(SUPERVISOR, "report_issue")
    assert response.status == 200 and response.elapsed < 1
    seen = texts(h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(SUPERVISOR)
                                              if "went wrong" in texts(m)]))
    assert "Nothing you wrote was lost" in seen


def test_home_that_fails_to_render_says_so_on_the_home_tab(harness):
    h = harness
    with database_unreachable(h):
        assert h.driver.home_opened(WORKER).status == 200
    home = h.emulator.wait_for(lambda: h.emulator.home(WORKER))
    assert "出了点问题" in texts(home)
    assert not [e for _, e in interactive_elements(home.get("blocks"))]


def test_a_direct_message_during_an_outage_right_after_start_up_is_answered_once_slack_is_back(harness):
    h = harness
    h.emulator.fail("503")  # Slack is down from the first moment: no profile can be looked up either
    assert h.driver.dm(SUPERVISOR, "oil leaking under press 3, the floor is slippery").status == 200
    h.deliver()
    assert [m for m in h.emulator.dm_messages(SUPERVISOR) if m.get("user") != SUPERVISOR] == []
    h.emulator.heal()
    answers = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(SUPERVISOR)
                                           if m.get("user") != SUPERVISOR], timeout=15)
    assert len(answers) == 1 and "draft_file" in texts(answers)
