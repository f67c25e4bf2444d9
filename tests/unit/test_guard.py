"""The guard parses bodies as Bolt does, without importing Bolt's internals: this test is where the two meet."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt.request.internals import parse_body as bolt_parse_body

from bot.guard import parse_body

INTERACTION = json.dumps({"type": "block_actions", "team": {"id": "T1"}, "actions": [{"action_id": "a"}]})
BODIES = [
    ("", None),
    ("", "application/json"),
    ('{"type": "event_callback", "event": {"type": "message"}}', "application/json"),
    ('{"type": "url_verification"}', None),
    ("[1, 2]", "application/json"),
    ('"text"', "application/json"),
    ("{not json", None),
    (urlencode({"payload": INTERACTION}), "application/x-www-form-urlencoded"),
    (urlencode({"payload": "[]"}), "application/x-www-form-urlencoded"),
    (urlencode({"payload": "{broken"}), "application/x-www-form-urlencoded"),
    ("payloads=1&x=2", "application/x-www-form-urlencoded"),
    (urlencode({"command": "/report", "text": "oil leak", "team_id": "T1", "empty": ""}),
     "application/x-www-form-urlencoded"),
    ("a=1&a=2&b", "application/x-www-form-urlencoded"),
    ("%E4%BD%A0=%ZZ&x=%", "application/x-www-form-urlencoded"),
    ('{"a": 1}', "application/json; charset=utf-8"),
    (' {"a": 1}', "application/json; charset=utf-8"),
    ("[" * 5000 + "]" * 5000, "application/json"),
]


def outcome(parse, body, content_type):
    try:
        return "parsed", parse(body, content_type)
    except (ValueError, RecursionError) as exc:
        return "raised", type(exc).__name__


@pytest.mark.parametrize(("body", "content_type"), BODIES)
def test_the_guard_parses_every_body_as_bolt_does(body, content_type):
    assert outcome(parse_body, body, content_type) == outcome(bolt_parse_body, body, content_type)
