"""The sandbox console, driven as a person would drive it: a script in, a transcript out.

Each replay starts the whole Triad (emulator, real app behind the real HTTP server, signed
driver) against the test database. Below: the renderer and the field parser, unit by unit.
"""
from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import pytest

from bot.i18n import Reader, catalog
from bot.sandbox import forms, render
from bot.sandbox.console import run_sandbox

ROOT = Path(__file__).resolve().parents[2]


def replay(settings, script: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run_sandbox(settings, script=None, fresh=False, stdin=io.StringIO(textwrap.dedent(script)), stdout=out)
    return status, out.getvalue()


def after(transcript: str, prompt_line: str) -> str:
    """What the console printed for one command line (up to the next prompt)."""
    start = transcript.index(prompt_line) + len(prompt_line)
    following = re.search(r"^\w+@\S+> ", transcript[start:], re.M)
    return transcript[start:start + following.start()] if following else transcript[start:]


# --- the console ----------------------------------------------------------------------------------

def test_help_lists_every_command_in_english(settings, db):
    status, out = replay(settings, "help\n")
    assert status == 0
    assert "zhao@#stamping> help" in out and "Triad sandbox: what you can type" in out
    for syntax in ("who", "as <handle>", "lang zh|en", "channels", "#stamping", "thread <n>", "dms", "home",
                   "/triad help", "dm <text>", "say <text>", "shortcut <name>", "press <n>", "<n> = <value>",
                   "submit", "cancel", "modal", "wait 3d", "time", "outage on|off", "outbox", "quit"):
        assert f"\n  {syntax}" in out, syntax


def test_zhang_reads_the_console_and_triad_in_chinese(settings, db):
    status, out = replay(settings, """
        # comments and blank lines are skipped

        as zhang
        /triad help
    """)
    assert status == 0
    assert "comments" not in out
    assert "你现在是 张伟（zhang）" in after(out, "zhao@#stamping> as zhang")
    answer = after(out, "zhang@#stamping> /triad help")
    assert "仅你可见 · #stamping" in answer and "Triad 能为你做什么" in answer and "/triad me" in answer


def test_home_has_numbered_buttons_and_pressing_help_sends_it_by_dm(settings, db):
    status, out = replay(settings, """
        home
        press Help
        dms
    """)
    assert status == 0
    home = after(out, "zhao@#stamping> home")
    assert "Hello Zhao Min" in home
    assert re.search(r"\[\d+\] Help", home) and re.search(r"\[\d+\] View organisation", home)
    assert "✉ Triad, in your DMs" in after(out, "> press Help")
    assert "DM with Triad · 1 message(s)" in after(out, "> dms")


def test_the_organisation_modal_opens_for_an_administrator_and_closes(settings, db):
    status, out = replay(settings, """
        /triad org
        cancel
        as zhang
        /triad org
    """)
    assert status == 0
    modal = after(out, "zhao@#stamping> /triad org")
    assert "╭─ Organisation" in modal and "Riverside Stamping Works" in modal and "@Li Na" in modal
    assert "cancel: Close" in modal
    assert "The form is closed." in after(out, "zhao@#stamping> cancel")
    assert "抱歉，只有管理员可以执行此操作。" in after(out, "zhang@#stamping> /triad org")


def test_switching_language_changes_slack_and_what_triad_believes(settings, db):
    status, out = replay(settings, """
        as zhang
        /triad me
        lang en
        /triad me
    """)
    assert status == 0
    assert "语言：简体中文" in after(out, "zhang@#stamping> /triad me")
    assert "Zhang Wei's Slack language is now English" in after(out, "zhang@#stamping> lang en")
    assert "Language: English (from your Slack settings)" in out.rsplit("> /triad me", 1)[1]


def test_waiting_moves_the_sandbox_clock(settings, db):
    status, out = replay(settings, """
        wait 1d
        time
    """)
    assert status == 0
    assert "⏩ +1d: it is now" in out and "Nothing arrived for you meanwhile." in out
    assert re.search(r"runs 23h5\dm ahead of the real one|runs 1d ahead", after(out, "> time"))


def test_an_outage_delays_the_help_dm_and_it_arrives_once_after_recovery(settings, db):
    status, out = replay(settings, """
        home
        outage on
        press Help
        outbox
        outage off
        wait 1m
        dms
    """)
    assert status == 0
    assert "Slack is down" in after(out, "> outage on")
    assert "⚡ Slack failed" in after(out, "> press Help") and "✉" not in after(out, "> press Help")
    assert "1 message(s) wait in the outbox (Slack is down)" in after(out, "> outbox")
    assert "Slack is back." in out
    assert out.count("✉ Triad, in your DMs") == 1
    assert "DM with Triad · 1 message(s)" in after(out, "> dms")


def test_an_unknown_command_is_explained_and_fails_the_replay(settings, db):
    status, out = replay(settings, """
        hlep
        /nonsense
        press 9
        as nobody
    """)
    assert status == 1
    assert "I don't know hlep. Did you mean help? help lists everything." in out
    assert "/nonsense is not a Triad command. Triad's commands are /report, /actions, /triad." in out
    assert "There is nothing to press called “9”" in out
    assert "There is no demo person nobody" in out
    assert "4 line(s) could not be carried out: line 2, 3, 4, 5." in out


def test_a_script_file_is_replayed_and_a_missing_one_is_reported(settings, db, tmp_path):
    script = tmp_path / "tour.txt"
    script.write_text("who\n", encoding="utf-8")
    out = io.StringIO()
    assert run_sandbox(settings, script=str(script), fresh=False, stdout=out) == 0
    assert f"replaying {script}" in out.getvalue() and "→ zhao" in out.getvalue()
    missing = io.StringIO()
    assert run_sandbox(settings, script=str(tmp_path / "nope.txt"), fresh=False, stdout=missing) == 2
    assert "Cannot read" in missing.getvalue()


def test_the_demo_tour_replays_without_a_failed_line(settings, db):
    status, out = replay(settings, (ROOT / "examples" / "demo-foundation.txt").read_text(encoding="utf-8"))
    assert status == 0, out


def test_every_console_text_exists_in_both_languages():
    used = set()
    for path in (ROOT / "bot" / "sandbox").glob("*.py"):
        used |= set(re.findall(r"""(?:word|say)\(\s*f?["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith(".")}
    for lang in ("en", "zh"):
        missing = sorted(key for key in used if f"sandbox.{key}" not in catalog(lang))
        assert missing == [], lang


# --- render: Block Kit as terminal text -----------------------------------------------------------

NAMES = {"U0LI": "Li Na", "U0ZHANG": "Zhang Wei"}
CHANNELS = {"C0STAMP": "stamping"}


def ctx(lang="en", **kw) -> render.Context:
    users = {"U0LI": "李娜", "U0ZHANG": "张伟"} if lang == "zh" else NAMES
    return render.Context(Reader(lang), users, CHANNELS, **kw)


def section(text: str, **extra) -> dict:
    return {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, label: str) -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}}


def option(label: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def test_mentions_channels_links_and_escaped_user_text_read_as_in_slack():
    lines = render.blocks([section("<@U0LI> in <#C0STAMP>: &lt;!channel&gt; look &amp; see "
                                   "&lt;http://evil|Payroll&gt; or <https://x.example/r|the report>")],
                          ctx(), render.Numbering(), {})
    assert lines == ["@Li Na in #stamping: <!channel> look & see <http://evil|Payroll> or "
                     "the report (https://x.example/r)"]
    assert render.mrkdwn("<@U0LI>", ctx("zh")) == "@李娜"


def test_date_tokens_show_their_fallback():
    assert render.mrkdwn("due <!date^1700000000^{date_short_pretty}|Nov 14, 2023>", ctx()) == "due Nov 14, 2023"


def test_formatting_is_styled_only_for_a_colour_terminal():
    assert render.mrkdwn("*bold* _it_ `code` snake_case_name", ctx()) == "bold it code snake_case_name"
    coloured = render.mrkdwn("*bold* and <@U0ZHANG>", ctx(colour=True, me="U0ZHANG"))
    assert "\x1b[1mbold\x1b[0m" in coloured and "\x1b[1;33;7m@Zhang Wei\x1b[0m" in coloured


def test_interactive_elements_are_numbered_across_blocks():
    numbering = render.Numbering()
    blocks = [
        section("A report", accessory=button("ack", "Acknowledge")),
        {"type": "actions", "block_id": "a", "elements": [
            button("risk", "Assess risk"),
            {"type": "overflow", "action_id": "more", "options": [option("Timeline", "t"), option("Reject", "r")]}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "_updated_"}]},
        {"type": "divider"},
        {"type": "image", "image_url": "https://x/p.png", "alt_text": "oil on the floor"},
    ]
    lines = render.blocks(blocks, ctx(), numbering, {"ts": "1.0"})
    assert lines[:3] == ["A report", "[1] Acknowledge", "[2] Assess risk  [3] ⋯ (1 Timeline · 2 Reject)"]
    assert lines[3] == "updated" and lines[4].startswith("───") and lines[5] == "📷 oil on the floor"
    assert [c.element["action_id"] for c in numbering.controls.values()] == ["ack", "risk", "more"]


def test_a_modal_shows_numbered_fields_with_options_values_and_errors():
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Report"},
            "submit": {"type": "plain_text", "text": "File"}, "blocks": [
                {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "Kind"},
                 "element": {"type": "static_select", "action_id": "v",
                             "options": [option("Hazard", "hazard"), option("Near miss", "near_miss")]}},
                {"type": "input", "block_id": "when", "optional": True, "label": {"type": "plain_text", "text": "When"},
                 "element": {"type": "datepicker", "action_id": "v", "initial_date": "2026-03-01"}}]}
    numbering = render.Numbering()
    lines = render.modal(view, ctx(), numbering, render.Fields({"kind": "Hazard"}, {"when": "Not in the future."}))
    text = "\n".join(lines)
    assert lines[0].startswith("╭─ Report")
    assert "│ [1] Kind  (choose one)\n│     1 Hazard · 2 Near miss\n│     ▸ Hazard" in text
    assert "│ [2] When  (optional; a date, YYYY-MM-DD)\n│     ▸ 2026-03-01\n│     ⚠ Not in the future." in text
    assert lines[-1] == "╰─ submit: File · cancel: Cancel"
    assert sorted(numbering.controls) == [1, 2]


def test_wrapping_counts_chinese_characters_as_two_columns_and_keeps_the_indent():
    wrapped = render.wrap(["  " + "漏油" * 20], 24)
    assert all(render.display_width(line) <= 24 for line in wrapped)
    assert all(line.startswith("  ") for line in wrapped) and "".join(wrapped).replace(" ", "") == "漏油" * 20
    assert render.wrap(["[12] a long label that goes on"], 20) == ["[12] a long label", "     that goes on"]


# --- forms: typed text to input values ------------------------------------------------------------

DIRECTORY = forms.Directory({"li": "U0LI", "liu": "U0LIU"}, {"U0LI": "Li Na", "U0LIU": "Liu Yang"}, CHANNELS,
                            "Asia/Shanghai")
SELECT = {"type": "static_select", "options": [option("Hazard", "hazard"), option("Near miss", "near_miss")]}


def parse(item, typed, upload=lambda name: {"id": "F1", "name": name}):
    return forms.parse(item, typed, DIRECTORY, upload)


def test_options_by_number_text_or_start_and_several_at_once():
    assert parse(SELECT, "2") == parse(SELECT, "near miss") == parse(SELECT, "Near") == "near_miss"
    assert parse({**SELECT, "type": "checkboxes"}, "1, near") == ["hazard", "near_miss"]
    with pytest.raises(forms.FieldError) as problem:
        parse(SELECT, "3")
    assert problem.value.key == "no_option"


def test_dates_people_numbers_and_files():
    assert parse({"type": "datepicker"}, "2026-03-01") == "2026-03-01"
    assert parse({"type": "datetimepicker"}, "2026-03-01 08:30") == 1772325000  # Shanghai time
    assert parse({"type": "users_select"}, "li") == "U0LI"
    assert parse({"type": "multi_users_select"}, "li, liu") == ["U0LI", "U0LIU"]
    assert parse({"type": "number_input", "is_decimal_allowed": False}, "3") == "3"
    with pytest.raises(forms.FieldError):
        parse({"type": "number_input", "max_value": "5"}, "7")
    assert parse({"type": "file_input", "filetypes": ["jpg"]}, "photo.jpg") == [{"id": "F1", "name": "photo.jpg"}]
    with pytest.raises(forms.FieldError):
        parse({"type": "file_input", "filetypes": ["jpg"]}, "notes.exe")
    assert parse({"type": "plain_text_input", "multiline": True}, r"one\ntwo") == "one\ntwo"
    assert forms.describe({"type": "users_select"}, "U0LI", DIRECTORY) == "@Li Na"
    assert forms.placeholder_image().startswith(b"\x89PNG")
