"""Correctly signed requests that no real Slack would send get a 4xx at once, change nothing, log one line."""
from __future__ import annotations

import json
import logging
import urllib.parse

import pytest

from bot.config import Settings
from sandbox import fuzz
from sandbox.driver import FORM, JSON
from sandbox.harness import Harness

WORKER = "U0ZHANG"


@pytest.fixture
def quiet_harness(settings: Settings, db, clock):
    """The whole app without its outbox worker: whatever changes in the database, a request changed."""
    h = Harness(settings, start_worker=False, clock=clock).start(migrate_db=False)
    yield h
    h.stop()


def interactive(payload: dict) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def press_payload(h: Harness, **changes) -> dict:
    payload = {"type": "block_actions", "user": {"id": WORKER}, "team": {"id": h.emulator.team_id},
               "trigger_id": h.emulator.issue_trigger(WORKER),
               "actions": [{"action_id": "report_acknowledge", "block_id": "triage:1", "value": "1",
                            "type": "button", "action_ts": "1.2"}]}
    payload.update(changes)
    return payload


def submission_payload(h: Harness, view: dict) -> dict:
    return {"type": "view_submission", "user": {"id": WORKER}, "team": {"id": h.emulator.team_id},
            "trigger_id": h.emulator.issue_trigger(WORKER), "view": view}


def refused_at_once_changing_nothing(h: Harness, caplog, body: bytes, content_type: str = FORM) -> None:
    before = fuzz.fingerprint(h)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = h.driver.send_raw(body, content_type)
    assert 400 <= response.status < 500, (response.status, response.body)
    assert response.elapsed < 1
    assert fuzz.fingerprint(h) == before
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1, caplog.text


def test_a_user_id_that_is_not_a_string_never_reaches_the_people_table(quiet_harness, caplog):
    h = quiet_harness
    refused_at_once_changing_nothing(h, caplog, interactive(press_payload(h, user={"id": 12345})))
    refused_at_once_changing_nothing(h, caplog, interactive(press_payload(h, user={"id": ["U0ZHANG"]})))
    body = {"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
            "event": {"type": "app_home_opened", "user": {"id": 7}, "tab": "home"}}
    refused_at_once_changing_nothing(h, caplog, json.dumps(body).encode(), JSON)


def test_a_view_submission_without_state_values_or_with_values_that_are_not_objects(quiet_harness, caplog):
    h = quiet_harness
    view = {"id": "V1", "type": "modal", "callback_id": "report_form", "private_metadata": "{}"}
    refused_at_once_changing_nothing(h, caplog, interactive(submission_payload(h, view)))
    refused_at_once_changing_nothing(h, caplog, interactive(submission_payload(h, {**view, "state": {}})))
    for values in ("text", {"description": "words"}, {"description": {"text": 5}},
                   {"kind": {"kind": {"selected_option": "hazard"}}},
                   {"occurred_at": {"at": {"selected_date_time": "yesterday"}}}):
        submitted = submission_payload(h, {**view, "state": {"values": values}})
        refused_at_once_changing_nothing(h, caplog, interactive(submitted))


def test_a_press_without_its_actor_or_trigger_id_or_action(quiet_harness, caplog):
    h = quiet_harness
    payload = press_payload(h)
    for field in ("user", "trigger_id", "actions"):
        refused_at_once_changing_nothing(h, caplog, interactive({k: v for k, v in payload.items() if k != field}))
    refused_at_once_changing_nothing(h, caplog, interactive(press_payload(h, actions=[])))
    refused_at_once_changing_nothing(h, caplog, interactive(press_payload(h, actions=["report_acknowledge"])))


def test_bodies_bolt_cannot_parse_get_400_and_forged_ones_401(quiet_harness, caplog):
    h = quiet_harness
    refused_at_once_changing_nothing(h, caplog, b"payload=\xff\xfe{}", FORM)  # not UTF-8
    refused_at_once_changing_nothing(h, caplog, b'{"type": "event_callback", "event": "message"}', JSON)
    refused_at_once_changing_nothing(h, caplog, b'[{"type": "block_actions"}]', JSON)
    refused_at_once_changing_nothing(h, caplog, interactive(press_payload(h, team=["T1"])))
    refused_at_once_changing_nothing(h, caplog, b"command=%2Freport&user_id=U0ZHANG&text=x", FORM)  # no trigger_id
    assert h.driver.send_raw(b"payload=\xff", FORM, signature="v0=forged").status == 401


def test_a_button_value_naming_no_row_is_answered_not_crashed(quiet_harness):
    """A value too large for an id reaches no query: the press is refused privately, as a stale button is."""
    h = quiet_harness
    payload = press_payload(h, actions=[{"action_id": "report_acknowledge", "block_id": "triage:1",
                                         "value": "99999999999999999999", "type": "button", "action_ts": "1.2"}])
    assert h.driver.send_raw(interactive(payload), FORM).status == 200


def test_a_few_hundred_fuzzed_payloads_get_no_5xx_no_hang_and_refusals_change_nothing(quiet_harness):
    outcome = fuzz.run(quiet_harness, 250, seed=6)
    assert outcome.server_errors == 0 and outcome.hangs == 0, outcome.summary()
    assert outcome.refusals_that_changed_state == 0 and outcome.refusals_logged_more_than_once == 0, outcome.summary()
    assert outcome.failures_told == 0, outcome.summary()  # nothing malformed got as far as failing a listener
    assert outcome.statuses[200] > 50 and sum(n for s, n in outcome.statuses.items() if 400 <= s < 500) > 50
