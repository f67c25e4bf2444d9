"""Cards and forms that Triad posted before its values were versioned keep working after the upgrade.

They stay in channels, DMs and open modals for months: a button still carries a plain id ("42"), a
form's private_metadata ``{"r": 42}``, a DM draft card its JSON with the words in it.
"""
from __future__ import annotations

import json
import re

from bot.reports.values import ActionRef, ReportRef
from sandbox import fuzz
from storage.models import ReportStatus
from tests.e2e.test_reports import SUPERVISOR, WORKER, buttons, card, dumped, file_report, modal, report_row

VERSIONED = re.compile(r"[a-z]+\d+:\{.*\}", re.S)


def test_li_triages_from_a_card_and_a_form_posted_before_the_upgrade(harness):
    h = harness
    file_report(h)
    report = card(h)
    rid = report_row(h).id

    h.driver.press(SUPERVISOR, "report_acknowledge", str(rid), message=report)  # the card's old value
    assert report_row(h).status == ReportStatus.TRIAGE and "In triage" in dumped(card(h))

    h.driver.press(SUPERVISOR, "report_assess", str(rid), message=card(h))
    form = modal(h, SUPERVISOR)
    assert ReportRef.decode(form["private_metadata"]) == ReportRef(rid)  # what Triad writes now
    opened_before = {**form, "private_metadata": json.dumps({"r": rid})}
    assert h.driver.submit(SUPERVISOR, {"likelihood": "3", "severity": "4"}, view=opened_before).json is None
    h.deliver()
    assert (report_row(h).likelihood, report_row(h).severity) == (3, 4)


def test_a_press_carrying_another_kind_of_value_changes_nothing(harness):
    """An action's value on a report's button names no report: answered, and nothing happens."""
    h = harness
    file_report(h)
    report, rid = card(h), report_row(h).id
    for wrong in (ActionRef(rid).encode(), f'r1:{{"id":{rid},"more":1}}', "r1:{", "not an id"):
        assert h.driver.press(SUPERVISOR, "report_acknowledge", wrong, message=report).status == 200
    h.deliver()
    assert report_row(h).status == ReportStatus.NEW and "report_acknowledge" in buttons(card(h))


def test_zhang_files_from_a_dm_draft_card_posted_before_its_words_moved_into_the_card(harness):
    h = harness
    h.driver.dm(WORKER, "3号压机下面漏油")
    h.deliver()
    draft = [m for m in h.emulator.dm_messages(WORKER) if "draft_file" in buttons(m)][-1]
    # Before, the card had no block of its own for the words: they travelled in the buttons' value as "d".
    old_card = {**draft, "blocks": [b for b in draft["blocks"] if b.get("block_id") != "draft_text"]}
    old_value = json.dumps({"k": "environmental", "s": ["iso14001"], "l": None, "src": draft["ts"],
                            "d": "2号线冷却液泄漏"}, ensure_ascii=False)
    assert h.driver.press(WORKER, "draft_file", old_value, message=old_card, as_seen=True).status == 200
    h.deliver()
    filed = report_row(h)
    assert filed is not None and filed.description == "2号线冷却液泄漏" and filed.kind.value == "environmental"


def test_what_triad_posts_now_carries_versioned_values_only(harness):
    """A day at the plant: every button pressed and every form sent carries a value of bot/values.py
    (or a set-up part's name), never the ad hoc formats read above."""
    pressed, sent = [], []
    for sample in fuzz.record_corpus(harness):
        if sample.kind == "interactive" and sample.data.get("type") == "block_actions":
            pressed += [(a["action_id"], a.get("value")) for a in sample.data["actions"] if "value" in a]
        elif sample.kind == "interactive" and sample.data.get("type") == "view_submission":
            sent.append((sample.data["view"]["callback_id"], sample.data["view"].get("private_metadata", "")))
    assert {action for action, _ in pressed} >= {"report_acknowledge", "report_assess", "draft_edit", "setup_edit"}
    assert {form for form, _ in sent} >= {"report_submit", "report_risk_submit", "report_action_submit"}
    for action, value in pressed:
        assert VERSIONED.match(value), (action, value)
    for form, meta in sent:
        assert VERSIONED.match(meta) or form.startswith("setup_") and meta == "", (form, meta)
