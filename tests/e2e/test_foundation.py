"""The promises of the platform, proven through signed HTTP requests to the real app and a Slack emulator."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot import outbox
from bot.org import people
from storage.models import OutboxMessage, Person, ProcessedEvent, Role


def ephemeral_texts(harness, user):
    return [json.dumps(e, ensure_ascii=False) for e in harness.emulator.ephemerals(user)]


# --- signing -------------------------------------------------------------------------------------

def test_a_forged_signature_is_refused(harness):
    body = urlencode({"command": "/triad", "text": "help", "user_id": "U0LI"}).encode()
    response = harness.driver.send_raw(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert response.status == 401
    assert harness.emulator.ephemerals() == []


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(harness):
    body = urlencode({"command": "/triad", "text": "help", "user_id": "U0LI"}).encode()
    response = harness.driver.send_raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    assert response.status == 401


def test_health_check_answers_200_when_the_database_is_reachable(harness):
    from urllib.request import urlopen

    with urlopen(f"{harness.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"


def test_health_check_answers_503_when_the_database_is_not(harness):
    from urllib.error import HTTPError
    from urllib.request import urlopen

    from bot.server import LoopbackServer, wsgi_app
    from storage.db import Database

    harness.runtime.db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    server = LoopbackServer(wsgi_app(harness.runtime, harness.app)).start()
    try:
        urlopen(f"{server.url}/healthz", timeout=10)
        raise AssertionError("expected 503")
    except HTTPError as error:
        assert error.code == 503
    finally:
        server.stop()


# --- help, languages, people ----------------------------------------------------------------------

def test_triad_help_explains_every_command_in_the_persons_language(harness):
    assert harness.driver.slash("U0LI", "/triad", "help").status == 200
    english = harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0LI"))[-1]
    assert "/triad me" in english and "/triad language" in english
    assert "/triad org" not in english  # administrators only

    harness.driver.slash("U0ZHANG", "/triad", "")  # zh-CN in Slack
    chinese = harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0ZHANG"))[-1]
    assert "命令" in chinese and "/triad me" in chinese


def test_a_person_can_choose_their_language(harness):
    harness.driver.slash("U0LI", "/triad", "language zh")
    answer = harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0LI"))[-1]
    assert "简体中文" in answer
    harness.driver.slash("U0LI", "/triad", "me")
    assert "语言" in harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0LI")[1:])[-1]
    harness.driver.slash("U0LI", "/triad", "language auto")
    assert "Slack" in harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0LI")[2:])[-1]


def test_a_slack_user_seen_for_the_first_time_is_registered_as_a_worker(harness):
    harness.emulator.add_user("U0NEW", "newbie", "Sun Li", locale="zh-CN", tz="Asia/Shanghai")
    harness.driver.slash("U0NEW", "/triad", "me")
    answer = harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0NEW"))[-1]
    assert "Sun Li" in answer and "员工" in answer
    with harness.db.session() as s:
        person = people.find(s, "U0NEW")
        assert (person.slack_locale, person.timezone) == ("zh-CN", "Asia/Shanghai")
        assert [r.role for r in person.roles] == [Role.WORKER]


def test_user_text_arrives_literally_never_as_a_ping_or_a_link(harness):
    harness.emulator.add_user("U0EVIL", "evil", "<!channel> <http://evil.example|Payroll>", locale="en-US")
    harness.driver.slash("U0EVIL", "/triad", "me")
    answer = harness.emulator.wait_for(lambda: harness.emulator.ephemerals("U0EVIL"))[-1]["text"]
    assert "&lt;!channel&gt; &lt;http://evil.example|Payroll&gt;" in answer
    assert "<!channel>" not in answer and "<http://evil" not in answer

    harness.driver.slash("U0EVIL", "/triad", "<!here>")
    unknown = json.dumps(harness.emulator.wait_for(lambda: harness.emulator.ephemerals("U0EVIL")[1:])[-1])
    assert "&lt;!here&gt;" in unknown and "<!here>" not in unknown


def test_administrators_see_the_organisation_and_others_are_told_why_not(harness):
    harness.driver.slash("U0ZHAO", "/triad", "org")
    modal = harness.emulator.wait_for(lambda: harness.emulator.open_modal("U0ZHAO"))
    content = json.dumps(modal, ensure_ascii=False)
    assert "Riverside Stamping Works" in content and "<@U0LI>" in content and "Press line 3" in content

    harness.driver.slash("U0ZHANG", "/triad", "org")
    refusal = harness.emulator.wait_for(lambda: ephemeral_texts(harness, "U0ZHANG"))[-1]
    assert "管理员" in refusal
    assert harness.emulator.open_modal("U0ZHANG") is None
    from bot import audit

    with harness.db.session() as s:
        decisions = [(d.step, d.allowed) for d in audit.decisions(s)]
    assert decisions == [("org.view", True), ("org.view", False)]


def test_app_home_shows_a_start_page(harness):
    harness.driver.home_opened("U0ZHAO")
    home = harness.emulator.wait_for(lambda: harness.emulator.home("U0ZHAO"))
    content = json.dumps(home, ensure_ascii=False)
    assert "Zhao Min" in content and "home_org" in content

    harness.driver.home_opened("U0ZHANG")
    home = harness.emulator.wait_for(lambda: harness.emulator.home("U0ZHANG"))
    assert "您好" in json.dumps(home, ensure_ascii=False)


# --- Slack retries and the outbox ----------------------------------------------------------------

def test_a_slack_retry_of_an_event_does_nothing_twice(harness):
    event = {"type": "app_home_opened", "user": "U0LI", "channel": "D0LI", "tab": "home", "event_ts": "1.0"}
    assert harness.driver.event(event, event_id="Ev0001").status == 200
    harness.emulator.wait_for(lambda: harness.emulator.calls_to("views.publish"))
    assert harness.driver.event(event, event_id="Ev0001", retry_num=1).status == 200
    time.sleep(0.3)
    assert len(harness.emulator.calls_to("views.publish")) == 1
    with harness.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def owe_a_message(harness, key="test:1", channel="C0STAMP", text="Oil on the floor at press 3"):
    with harness.db.session() as s:
        outbox.post(s, key, channel, {"text": text})


def test_a_message_goes_out_within_two_seconds_of_the_commit(harness):
    started = time.monotonic()
    owe_a_message(harness)
    harness.emulator.wait_for(lambda: harness.emulator.messages("C0STAMP"), timeout=2)
    assert time.monotonic() - started < 2


def test_an_outage_delays_messages_and_never_loses_or_doubles_them(harness):
    harness.runtime.worker.stop()
    harness.emulator.fail("503")
    owe_a_message(harness)
    harness.deliver()
    assert harness.emulator.messages("C0STAMP") == []
    with harness.db.session() as s:
        waiting = s.scalar(select(OutboxMessage))
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        waiting.next_attempt_at = waiting.created_at  # due again now
    harness.deliver()
    harness.emulator.heal()
    with harness.db.session() as s:
        s.scalar(select(OutboxMessage)).next_attempt_at = s.scalar(select(OutboxMessage)).created_at
    harness.deliver()
    assert [m["text"] for m in harness.emulator.messages("C0STAMP")] == ["Oil on the floor at press 3"]
    harness.deliver()
    assert len(harness.emulator.messages("C0STAMP")) == 1


def test_a_message_that_reached_slack_before_the_error_is_not_sent_again(harness):
    harness.runtime.worker.stop()
    harness.emulator.fail("process_then_fail", count=1, methods=["chat.postMessage"])
    owe_a_message(harness)
    harness.deliver()
    assert len(harness.emulator.messages("C0STAMP")) == 1  # it arrived, but we were told 500
    with harness.db.session() as s:
        row = s.scalar(select(OutboxMessage))
        assert row.status == "pending" and row.ambiguous
        row.next_attempt_at = row.created_at
    harness.deliver()
    assert len(harness.emulator.messages("C0STAMP")) == 1
    with harness.db.session() as s:
        assert s.scalar(select(OutboxMessage.status)) == "sent"


def test_a_thread_reply_waits_for_its_parent_and_lands_in_its_thread(harness):
    harness.runtime.worker.stop()
    with harness.db.session() as s:
        outbox.post(s, "card", "C0STAMP", {"text": "parent"})
        outbox.post(s, "reply", "C0STAMP", {"text": "child"}, thread_key="card")
    harness.deliver()
    parent = harness.emulator.messages("C0STAMP")[0]
    assert [m["text"] for m in harness.emulator.thread("C0STAMP", parent["ts"])] == ["parent", "child"]


def test_the_same_change_replayed_owes_one_message(harness):
    harness.runtime.worker.stop()
    owe_a_message(harness, key="once")
    owe_a_message(harness, key="once")
    harness.deliver()
    assert len(harness.emulator.messages("C0STAMP")) == 1


def test_messages_go_out_through_the_configured_api_url(harness):
    owe_a_message(harness)
    harness.emulator.wait_for(lambda: harness.emulator.calls_to("chat.postMessage"))


def test_a_failed_organisation_load_changes_nothing(harness, tmp_path):
    from bot.org.orgfile import OrgFileError, load_file

    broken = tmp_path / "org.yml"
    broken.write_text((harness.org_file.read_text()).replace("code: painting", "code: Painting Shop"), encoding="utf-8")
    try:
        with harness.db.session() as s:
            load_file(s, broken)
        raise AssertionError("expected a problem")
    except OrgFileError as error:
        assert any("line" in p and "department code: “Painting Shop” is not a valid code" in p for p in error.problems)
    with harness.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 6


def test_a_direct_message_triad_cannot_read_gets_a_helpful_answer(harness):
    harness.driver.dm("U0ZHANG", "你好")
    answer = harness.emulator.wait_for(lambda: [m for m in harness.emulator.dm_messages("U0ZHANG")
                                                if m.get("user") != "U0ZHANG"])
    assert "报告" in answer[-1]["text"]
    harness.driver.dm("U0LI", "hello")
    answer = harness.emulator.wait_for(
        lambda: [m for m in harness.emulator.dm_messages("U0LI") if m.get("user") != "U0LI"])
    assert "/triad help" in answer[-1]["text"]
