"""Tests for the Block Kit limits checker (bot/blockkit.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot import blockkit
from bot.blockkit import BlockKitError


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": "go", **extra}


def valid_message() -> dict[str, Any]:
    return {
        "text": "Fallback",
        "blocks": [
            {"type": "header", "text": plain("Nonconformity NC-12")},
            {"type": "section", "block_id": "summary", "text": mrkdwn("*Leak* at press 4"),
             "accessory": button("Open", value="nc-12")},
            {"type": "section", "fields": [mrkdwn("*Owner*"), mrkdwn("<@U1>")]},
            {"type": "divider"},
            {"type": "context", "elements": [mrkdwn("Raised today"),
                                             {"type": "image", "image_url": "https://x/y.png", "alt_text": "y"}]},
            {"type": "actions", "elements": [
                button("Accept", action_id="accept", style="primary",
                       confirm={"title": plain("Sure?"), "text": mrkdwn("Really"), "confirm": plain("Yes"),
                                "deny": plain("No")}),
                {"type": "static_select", "action_id": "pick", "placeholder": plain("Choose"),
                 "options": [option("One", "1"), option("Two", "2")]},
                {"type": "overflow", "action_id": "more", "options": [option("Edit", "edit")]},
            ]},
            {"type": "rich_text", "elements": [{"type": "rich_text_section",
                                                "elements": [{"type": "text", "text": "hi"}]}]},
        ],
    }


def valid_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "nc_new",
        "private_metadata": '{"v":1}',
        "title": plain("New nonconformity"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "input", "block_id": "title", "label": plain("Title"),
             "element": {"type": "plain_text_input", "action_id": "value", "placeholder": plain("Short")},
             "hint": plain("What happened")},
            {"type": "input", "block_id": "kind", "label": plain("Kind"),
             "element": {"type": "radio_buttons", "action_id": "value",
                         "options": [{"text": mrkdwn("*Minor*"), "value": "minor"},
                                     {"text": plain("Major"), "value": "major", "description": plain("Stop")}]}},
            {"type": "input", "block_id": "area", "label": plain("Area"),
             "element": {"type": "multi_static_select", "action_id": "value",
                         "option_groups": [{"label": plain("Plant"), "options": [option("Press", "press")]}]}},
        ],
    }


def test_valid_payloads_have_no_problems() -> None:
    assert blockkit.problems(valid_message(), "message") == []
    assert blockkit.problems(valid_modal(), "modal") == []
    home = {"type": "home", "blocks": [{"type": "section", "text": mrkdwn("Welcome")}]}
    assert blockkit.problems(home, "home") == []
    blockkit.check(valid_message(), "message")  # does not raise


def test_check_raises_with_every_problem() -> None:
    message = {"blocks": [{"type": "header", "text": plain("x" * 151)}, {"type": "section"}]}
    with pytest.raises(BlockKitError) as caught:
        blockkit.check(message, "message")
    assert caught.value.problems == [
        "blocks[0].text: 151 > 150 characters",
        "blocks[1]: section needs text or fields",
    ]
    assert "blocks[0].text" in str(caught.value)


def test_unknown_surface_is_refused() -> None:
    with pytest.raises(ValueError):
        blockkit.problems({}, "dialog")  # type: ignore[arg-type]


Mutation = Callable[[dict[str, Any]], None]

MESSAGE_CASES: list[tuple[str, Mutation, str]] = [
    ("blocks per message", lambda m: m.update(blocks=[{"type": "divider"}] * 51), "blocks: 51 > 50 blocks"),
    ("message text", lambda m: m.update(text="x" * 40_001), "text: 40001 > 40000 characters"),
    ("section text", lambda m: m["blocks"][1].update(text=mrkdwn("x" * 3001)),
     "blocks[1].text: 3001 > 3000 characters"),
    ("section field count", lambda m: m["blocks"][2].update(fields=[mrkdwn("f")] * 11),
     "blocks[2].fields: 11 > 10 fields"),
    ("section field text", lambda m: m["blocks"][2]["fields"].__setitem__(1, mrkdwn("x" * 2001)),
     "blocks[2].fields[1]: 2001 > 2000 characters"),
    ("header text", lambda m: m["blocks"][0].update(text=plain("x" * 151)), "blocks[0].text: 151 > 150 characters"),
    ("header must be plain", lambda m: m["blocks"][0].update(text=mrkdwn("x")),
     "blocks[0].text.type: must be plain_text, got 'mrkdwn'"),
    ("button text", lambda m: m["blocks"][5]["elements"][0].update(text=plain("x" * 76)),
     "blocks[5].elements[0].text: 76 > 75 characters"),
    ("button text plain", lambda m: m["blocks"][5]["elements"][0].update(text=mrkdwn("x")),
     "blocks[5].elements[0].text.type: must be plain_text, got 'mrkdwn'"),
    ("button value", lambda m: m["blocks"][1]["accessory"].update(value="v" * 2001),
     "blocks[1].accessory.value: 2001 > 2000 characters"),
    ("button url", lambda m: m["blocks"][1]["accessory"].update(url="u" * 3001),
     "blocks[1].accessory.url: 3001 > 3000 characters"),
    ("option text", lambda m: m["blocks"][5]["elements"][1]["options"].append(option("x" * 76, "3")),
     "blocks[5].elements[1].options[2].text: 76 > 75 characters"),
    ("option value", lambda m: m["blocks"][5]["elements"][1]["options"].append(option("x", "v" * 151)),
     "blocks[5].elements[1].options[2].value: 151 > 150 characters"),
    ("option text plain in selects", lambda m: m["blocks"][5]["elements"][1]["options"].append(
        {"text": mrkdwn("x"), "value": "3"}),
     "blocks[5].elements[1].options[2].text.type: must be plain_text, got 'mrkdwn'"),
    ("options per select", lambda m: m["blocks"][5]["elements"][1].update(
        options=[option("o", str(i)) for i in range(101)]), "blocks[5].elements[1].options: 101 > 100 options"),
    ("overflow options", lambda m: m["blocks"][5]["elements"][2].update(
        options=[option("o", str(i)) for i in range(6)]), "blocks[5].elements[2].options: 6 > 5 options"),
    ("placeholder", lambda m: m["blocks"][5]["elements"][1].update(placeholder=plain("p" * 151)),
     "blocks[5].elements[1].placeholder: 151 > 150 characters"),
    ("context elements", lambda m: m["blocks"][4].update(elements=[mrkdwn("c")] * 11),
     "blocks[4].elements: 11 > 10 elements"),
    ("actions elements", lambda m: m["blocks"][5].update(
        elements=[button(action_id=f"b{i}") for i in range(26)]), "blocks[5].elements: 26 > 25 elements"),
    ("block_id length", lambda m: m["blocks"][1].update(block_id="b" * 256),
     "blocks[1].block_id: 256 > 255 characters"),
    ("action_id length", lambda m: m["blocks"][1]["accessory"].update(action_id="a" * 256),
     "blocks[1].accessory.action_id: 256 > 255 characters"),
    ("duplicate block_id", lambda m: m["blocks"][2].update(block_id="summary"),
     "blocks[2].block_id: duplicate block_id 'summary'"),
    ("duplicate action_id in a block", lambda m: m["blocks"][5]["elements"][1].update(action_id="accept"),
     "blocks[5].elements[1].action_id: duplicate action_id 'accept' in this block"),
    ("empty text", lambda m: m["blocks"][1].update(text=mrkdwn("")), "blocks[1].text.text: must be a non-empty string"),
    ("bad text type", lambda m: m["blocks"][1].update(text={"type": "markdown", "text": "x"}),
     "blocks[1].text.type: must be plain_text or mrkdwn, got 'markdown'"),
    ("confirm title", lambda m: m["blocks"][5]["elements"][0]["confirm"].update(title=plain("t" * 101)),
     "blocks[5].elements[0].confirm.title: 101 > 100 characters"),
    ("unknown block type", lambda m: m["blocks"].append({"type": "secton"}),
     "blocks[7].type: unknown block type 'secton'"),
    ("nothing to show", lambda m: (m.pop("text"), m.pop("blocks")),
     "message: needs non-empty text, blocks or attachments"),
    ("image alt text", lambda m: m["blocks"][4]["elements"][1].pop("alt_text"),
     "blocks[4].elements[1].alt_text: is required"),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES])
def test_message_limits(mutate: Mutation, expected: str) -> None:
    message = valid_message()
    mutate(message)
    assert blockkit.problems(message, "message") == [expected]


def test_limits_are_inclusive() -> None:
    message = valid_message()
    message["blocks"][0]["text"] = plain("x" * 150)
    message["blocks"][2]["fields"] = [mrkdwn("y" * 2000)] * 10
    message["blocks"][5]["elements"][1]["options"] = [option("o" * 75, str(i)) for i in range(100)]
    assert blockkit.problems(message, "message") == []


MODAL_CASES: list[tuple[str, Mutation, str]] = [
    ("blocks per modal", lambda v: v.update(blocks=[{"type": "divider"}] * 101), "blocks: 101 > 100 blocks"),
    ("title length", lambda v: v.update(title=plain("t" * 25)), "title: 25 > 24 characters"),
    ("title plain", lambda v: v.update(title=mrkdwn("t")), "title.type: must be plain_text, got 'mrkdwn'"),
    ("title required", lambda v: v.pop("title"), "title: is required"),
    ("submit length", lambda v: v.update(submit=plain("s" * 25)), "submit: 25 > 24 characters"),
    ("close length", lambda v: v.update(close=plain("c" * 25)), "close: 25 > 24 characters"),
    ("submit needed with inputs", lambda v: v.pop("submit"), "submit: is required when the modal has input blocks"),
    ("private_metadata", lambda v: v.update(private_metadata="m" * 3001), "private_metadata: 3001 > 3000 characters"),
    ("callback_id", lambda v: v.update(callback_id="c" * 256), "callback_id: 256 > 255 characters"),
    ("external_id", lambda v: v.update(external_id="e" * 256), "external_id: 256 > 255 characters"),
    ("input label", lambda v: v["blocks"][0].update(label=plain("l" * 2001)),
     "blocks[0].label: 2001 > 2000 characters"),
    ("input label plain", lambda v: v["blocks"][0].update(label=mrkdwn("l")),
     "blocks[0].label.type: must be plain_text, got 'mrkdwn'"),
    ("input label required", lambda v: v["blocks"][0].pop("label"), "blocks[0].label: is required"),
    ("input element required", lambda v: v["blocks"][0].pop("element"), "blocks[0].element: is required"),
    ("hint", lambda v: v["blocks"][0].update(hint=plain("h" * 2001)), "blocks[0].hint: 2001 > 2000 characters"),
    ("radio options", lambda v: v["blocks"][1]["element"].update(options=[option("o", str(i)) for i in range(11)]),
     "blocks[1].element.options: 11 > 10 options"),
    ("options in option groups", lambda v: v["blocks"][2]["element"]["option_groups"][0].update(
        options=[option("o", str(i)) for i in range(101)]),
     "blocks[2].element.option_groups[0].options: 101 > 100 options"),
    ("option text in option groups", lambda v: v["blocks"][2]["element"]["option_groups"][0]["options"].append(
        option("o" * 76, "x")), "blocks[2].element.option_groups[0].options[1].text: 76 > 75 characters"),
    ("wrong view type", lambda v: v.update(type="home"), "type: must be 'modal', got 'home'"),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in MODAL_CASES], ids=[c[0] for c in MODAL_CASES])
def test_modal_limits(mutate: Mutation, expected: str) -> None:
    view = valid_modal()
    mutate(view)
    assert blockkit.problems(view, "modal") == [expected]


def test_view_size_limit_counts_json_bytes() -> None:
    view = valid_modal()
    view["blocks"] = [{"type": "section", "text": mrkdwn("é" * 1500)} for _ in range(100)]  # 2 bytes each in UTF-8
    size = blockkit.view_size(view)
    assert len(json.dumps(view, ensure_ascii=False)) < 250_000 < size  # bytes count, not characters
    assert blockkit.problems(view, "modal") == [f"view: {size} > 250000 bytes of JSON"]


def test_home_allows_100_blocks_and_needs_blocks() -> None:
    home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert blockkit.problems(home, "home") == []
    assert blockkit.problems({"type": "home"}, "home") == ["blocks: is required"]


def test_checkbox_options_may_use_mrkdwn_but_select_options_may_not() -> None:
    view = valid_modal()
    view["blocks"][1]["element"]["type"] = "checkboxes"
    assert blockkit.problems(view, "modal") == []
    view["blocks"][1]["element"]["type"] = "static_select"
    assert blockkit.problems(view, "modal") == [
        "blocks[1].element.options[0].text.type: must be plain_text, got 'mrkdwn'"
    ]


def test_blocks_in_attachments_are_checked() -> None:
    message = {"text": "x", "attachments": [{"blocks": [{"type": "header", "text": plain("h" * 151)}]}]}
    assert blockkit.problems(message, "message") == ["attachments[0].blocks[0].text: 151 > 150 characters"]


def test_non_string_values_are_reported() -> None:
    message = copy.deepcopy(valid_message())
    message["blocks"][1]["accessory"]["value"] = 12
    assert blockkit.problems(message, "message") == ["blocks[1].accessory.value: must be a string, got int"]


def test_several_problems_are_all_reported_with_paths() -> None:
    message = valid_message()
    message["blocks"][5]["elements"][0]["text"] = plain("x" * 80)
    message["blocks"][5]["elements"][1]["placeholder"] = mrkdwn("p")
    assert blockkit.problems(message, "message") == [
        "blocks[5].elements[0].text: 80 > 75 characters",
        "blocks[5].elements[1].placeholder.type: must be plain_text, got 'mrkdwn'",
    ]
