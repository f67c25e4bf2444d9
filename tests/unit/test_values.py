"""What buttons and forms carry through Slack comes back as it went, or as nothing at all."""
from __future__ import annotations

import json

import pytest

from bot.evidence.values import ExportForm
from bot.org.values import SetupItem, SetupPart
from bot.reports.values import ActionRef, Draft, ReportFormMeta, ReportRef
from bot.values import MAX_ID, Value
from sandbox import fuzz
from storage.models import ReportKind, Standard

KINDS: list[type[Value]] = [ReportRef, ActionRef, Draft, ReportFormMeta, SetupItem, SetupPart, ExportForm]
EXAMPLES: list[Value] = [
    ReportRef(42), ActionRef(MAX_ID),
    Draft(ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT, Standard.SAFETY), 3, "1700000000.000100"),
    Draft(), ReportFormMeta("https://plant.slack.com/archives/C0STAMP/p1700000000000100", "C0STAMP"),
    ReportFormMeta(), SetupItem("department", 3), SetupItem("location", 7, remove=True), SetupPart("working_hours"),
    ExportForm("0123456789abcdef"),
]


@pytest.mark.parametrize("value", EXAMPLES, ids=repr)
def test_each_value_comes_back_as_it_was_sent_and_small(value):
    raw = value.encode()
    assert type(value).decode(raw) == value
    assert len(raw) < 200 and raw.startswith(f"{value.TAG}{value.VERSION}:")


def test_a_draft_at_its_largest_fits_a_button():
    words = "漏" * 3000  # words never travel in the value now, but cards posted before carried them
    longest = Draft(ReportKind.NEAR_MISS, tuple(Standard), MAX_ID, "x" * 200, words[:500])
    assert len(longest.encode()) <= 2000 and Draft.decode(longest.encode()) == longest


def test_one_kinds_value_is_nothing_to_another():
    """A report button pressed with an action's value (a forged press, a mixed-up card) names no report."""
    for value in EXAMPLES:
        for kind in KINDS:
            if kind is not type(value):
                assert kind.decode(value.encode()) is None, (kind, value)


@pytest.mark.parametrize("raw", [
    None, 42, "", " ", "r1:", "r1:{", "r1:[]", "r1:null", 'r1:{"id":"42"}', 'r1:{"id":0}', 'r1:{"id":-3}',
    f'r1:{{"id":{MAX_ID + 1}}}', 'r1:{"id":true}', 'r1:{"id":4.5}', 'r1:{}', 'r1:{"id":4,"extra":1}',
    'r2:{"id":4}', 'r9999999999999999999:{"id":4}', "99999999999999999999", "-1", "4x", "r1:" + "9" * 5000,
    'd1:{"kind":"fire"}', 'd1:{"standards":"iso9001"}', 'd1:{"standards":["iso9001",7]}', 'd1:{"source":5}',
    'd1:{"location_id":"3"}', 'f1:{"link":5}', 's1:{"kind":"site","id":1}', 's1:{"kind":"location","id":1,'
    '"remove":"yes"}', 's1:{"id":1}', "edit:site:3", "remove:location:x",
    "r1:" + "[" * 2000, "[" * 2900, "d1:" + '{"a":' * 500,  # nested past Python's recursion limit
])
def test_anything_malformed_decodes_to_nothing_and_never_raises(raw):
    for kind in KINDS:
        if kind is ReportFormMeta and raw == "":
            continue  # a report form posted before, with nothing to carry (below)
        assert kind.decode(raw) is None, (kind, raw)


def test_the_fuzzers_wrong_values_never_raise():
    for wrong in fuzz.WRONG_VALUES:
        for kind in KINDS:
            kind.decode(wrong)
            kind.decode(json.dumps(wrong))
            kind.decode(f"{kind.TAG}{kind.VERSION}:{json.dumps(wrong)}")


def test_cards_and_forms_posted_before_values_were_versioned_still_work():
    """Version 0, as already posted in workspaces: plain ids on buttons, small JSON in private_metadata."""
    assert ReportRef.decode("42") == ReportRef(42) and ActionRef.decode("7") == ActionRef(7)
    assert ReportRef.decode('{"r": 42}') == ReportRef(42) and ActionRef.decode('{"a": 7}') == ActionRef(7)
    assert ReportRef.decode('{"a": 7}') is None and ActionRef.decode('{"r": 42}') is None
    assert ReportFormMeta.decode('{"link": "https://x.slack.com/archives/C1/p1", "ch": "C0STAMP"}') == \
        ReportFormMeta("https://x.slack.com/archives/C1/p1", "C0STAMP")
    assert ReportFormMeta.decode("{}") == ReportFormMeta() == ReportFormMeta.decode("")
    old_card = json.dumps({"k": "environmental", "s": ["iso14001", "iso99"], "l": 3, "src": "1700.1", "d": "漏油"},
                          ensure_ascii=False)
    assert Draft.decode(old_card) == Draft(ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,), 3, "1700.1", "漏油")
    assert Draft.decode('{"k": null, "s": [], "l": null, "src": "1700.1"}') == Draft(source="1700.1")
    assert SetupItem.decode('{"d": 3}') == SetupItem("department", 3)
    assert SetupItem.decode('{"l": 7}') == SetupItem("location", 7)
    assert SetupItem.decode('{"kind": "location", "id": 7}') == SetupItem("location", 7)
    assert SetupItem.decode("edit:department:3") == SetupItem("department", 3)
    assert SetupItem.decode("remove:location:7") == SetupItem("location", 7, remove=True)
    assert SetupItem.decode("{}") is None  # a form for a new department or location names none
    assert SetupPart.decode("working_hours") == SetupPart("working_hours")  # a page drawn before: the bare name
    assert SetupPart.decode("general; drop") is None


def test_an_export_forms_key_is_its_own_or_nothing():
    assert ExportForm.decode(ExportForm.new().encode()) is not None
    for forged in ('x1:{"token":"../../etc"}', 'x1:{"token":""}', 'x1:{"token":"0123456789ABCDEF"}', 'x1:{}'):
        assert ExportForm.decode(forged) is None
