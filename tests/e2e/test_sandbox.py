"""The sandbox console, driven as a person would drive it: a script in, a transcript out.

Each replay starts the whole Triad (emulator, real app behind the real HTTP server, signed
driver) against the test database. Below: the renderer and the field parser, unit by unit.
"""
from __future__ import annotations

import io
import re
import textwrap
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from bot.i18n import Reader, catalog
from sandbox import forms, render
from sandbox.console import run_sandbox

ROOT = Path(__file__).resolve().parents[2]


def replay(settings, clock, script: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run_sandbox(settings, script=None, fresh=False, stdin=io.StringIO(textwrap.dedent(script)), stdout=out,
                         clock=clock)
    return status, out.getvalue()


def after(transcript: str, prompt_line: str) -> str:
    """What the console printed for one command line (up to the next prompt)."""
    start = transcript.index(prompt_line) + len(prompt_line)
    following = re.search(r"^\w+@\S+> ", transcript[start:], re.M)
    return transcript[start:start + following.start()] if following else transcript[start:]


# --- the console ----------------------------------------------------------------------------------

def test_help_lists_every_command_in_english(settings, db, clock):
    status, out = replay(settings, clock, "help\n")
    assert status == 0
    assert "zhao@#stamping> help" in out and "Triad sandbox: what you can type" in out
    for syntax in ("who", "as <handle>", "workspaces", "lang zh|en", "channels", "#stamping", "thread <n>", "dms",
                   "home", "/triad help", "dm <text>", "say <text>", "shortcut <name>", "press <n>", "<n> = <value>",
                   "submit", "cancel", "modal", "wait 3d", "time", "outage on|off", "outbox", "quit"):
        assert f"\n  {syntax}" in out, syntax


def test_a_channel_is_opened_by_its_name_however_a_newcomer_asks(settings, db, clock):
    status, out = replay(settings, clock, "channel triage\nopen safety\n#stamping\n")
    assert status == 0
    assert "zhao@#triage> open safety" in out and "zhao@#safety> #stamping" in out


def test_zhang_reads_the_console_and_triad_in_chinese(settings, db, clock):
    status, out = replay(settings, clock, """
        # comments and blank lines are skipped

        as zhang
        /triad help
    """)
    assert status == 0
    assert "comments" not in out
    assert "您现在是 张伟（zhang）" in after(out, "zhao@#stamping> as zhang")
    answer = after(out, "zhang@#stamping> /triad help")
    assert "仅您可见 · #stamping" in answer and "Triad 能为您做什么" in answer and "/triad me" in answer


def test_home_has_numbered_buttons_and_pressing_help_sends_it_by_dm(settings, db, clock):
    status, out = replay(settings, clock, """
        home
        press Help
        dms
    """)
    assert status == 0
    home = after(out, "zhao@#stamping> home")
    assert "Hello Zhao Min" in home
    assert re.search(r"\[\d+\] Help", home) and re.search(r"\[\d+\] View organisation", home)
    assert "✉ Triad, in your DMs" in after(out, "> press Help")
    assert "DM with Triad · 1 message" in after(out, "> dms")


def test_the_organisation_modal_opens_for_an_administrator_and_closes(settings, db, clock):
    status, out = replay(settings, clock, """
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


def test_switching_language_changes_slack_and_what_triad_believes(settings, db, clock):
    status, out = replay(settings, clock, """
        as zhang
        /triad me
        lang en
        /triad me
    """)
    assert status == 0
    assert "语言：简体中文" in after(out, "zhang@#stamping> /triad me")
    assert "Zhang Wei's Slack language is now English" in after(out, "zhang@#stamping> lang en")
    assert "Language: English (from your Slack settings)" in out.rsplit("> /triad me", 1)[1]


def test_waiting_moves_the_sandbox_clock(settings, db, clock):
    status, out = replay(settings, clock, """
        wait 1d
        time
    """)
    assert status == 0
    assert "⏩ +1d: it is now" in out and "Nothing arrived for you meanwhile." in out
    assert re.search(r"runs 23h5\dm ahead of the real one|runs 1d ahead", after(out, "> time"))


def test_an_outage_delays_the_help_dm_and_it_arrives_once_after_recovery(settings, db, clock):
    status, out = replay(settings, clock, """
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
    assert "1 message waits in the outbox (Slack is down)" in after(out, "> outbox")
    assert "Slack is back." in out
    assert out.count("✉ Triad, in your DMs") == 1
    assert "DM with Triad · 1 message" in after(out, "> dms")


def test_after_a_form_closes_numbers_and_labels_mean_the_messages_shown_before_it(settings, db, clock):
    status, out = replay(settings, clock, """
        home
        press View organisation
        cancel
        press 1
        set kind = Hazard
        set What happened = guard missing on press 3
        set what = x
        cancel
        press Help
    """)
    assert status == 1  # only the ambiguous `set what`
    assert "The form is closed." in after(out, "zhao@#stamping> cancel")
    assert "╭─ Report an issue" in after(out, "zhao@#stamping> press 1")  # the Home tab's [1], not the closed form's
    assert "✓ [1] What kind of report? ▸ Hazard" in out
    assert "✓ [2] What happened or what did you see? ▸ guard missing on press 3" in out
    assert "Several fields match “what”: [1], [2], [7]." in out
    assert "✉ Triad, in your DMs" in out.rsplit("> press Help", 1)[1]
    assert "1 line could not be carried out: line 8." in out


def test_clear_shows_nothing_in_a_replay_and_variables_need_something_shown_first(settings, db, clock):
    status, out = replay(settings, clock, """
        clear
        /report follow $code
        /report status $ref
    """)
    assert status == 1
    assert after(out, "zhao@#stamping> clear").strip() == ""
    assert "No follow-up code has been shown yet" in out and "No report has been filed yet" in out


def test_an_unknown_command_is_explained_and_fails_the_replay(settings, db, clock):
    status, out = replay(settings, clock, """
        hlep
        /nonsense
        press 9
        as nobody
        the floor by press 2 is wet
    """)
    assert status == 1
    assert "I don't know hlep. Did you mean help? help lists everything." in out
    assert "I don't know the. Did you mean dm the floor by press 2 is wet?" in out  # words are meant for Triad
    assert "/nonsense is not a Triad command. Triad's commands are /report, /actions, /procedures, /triad." in out
    assert "There is nothing to press called “9”" in out
    assert "There is no demo person nobody" in out
    assert "5 lines could not be carried out: lines 2, 3, 4, 5, 6." in out


def test_a_script_file_is_replayed_and_a_missing_one_is_reported(settings, db, tmp_path, clock):
    script = tmp_path / "tour.txt"
    script.write_text("who\n", encoding="utf-8")
    out = io.StringIO()
    assert run_sandbox(settings, script=str(script), fresh=False, stdout=out, clock=clock) == 0
    assert f"replaying {script}" in out.getvalue() and "→ zhao" in out.getvalue()
    missing = io.StringIO()
    assert run_sandbox(settings, script=str(tmp_path / "nope.txt"), fresh=False, stdout=missing, clock=clock) == 2
    assert "Cannot read" in missing.getvalue()


def output_of(transcript: str, prompt_line: str, occurrence: int = 1) -> str:
    """What the console printed for the n-th time a command line was echoed (up to the next prompt)."""
    start = -1
    for _ in range(occurrence):
        start = transcript.index(prompt_line + "\n", start + 1)
    return after(transcript[start:], prompt_line)


def demo(settings, clock, name: str) -> str:
    status, out = replay(settings, clock, (ROOT / "examples" / name).read_text(encoding="utf-8"))
    assert status == 0, out
    return out


def test_the_foundation_demo_tours_the_console_in_both_languages(settings, db, clock):
    out = demo(settings, clock, "demo-foundation.txt")
    assert "What Triad can do for you" in output_of(out, "zhao@#stamping> /triad help")
    assert "╭─ Organisation" in output_of(out, "zhao@#stamping> /triad org")
    assert "Triad 能为您做什么" in output_of(out, "zhang@#stamping> /triad help")
    assert "抱歉，只有管理员可以执行此操作。" in output_of(out, "zhang@#stamping> /triad org")
    assert "⏩ +3d" in output_of(out, "zhang@#stamping> wait 3d")
    assert "快 3d（由 wait 拨快）" in output_of(out, "zhang@#stamping> time", 2)
    assert "⚡ Slack failed 1 call" in output_of(out, "zhao@#stamping> press Help")
    assert "1 message waits in the outbox (Slack is down)" in output_of(out, "zhao@#stamping> outbox")
    assert output_of(out, "zhao@#stamping> outage off").count("✉ Triad, in your DMs") == 1
    assert "DM with Triad · 1 message\n" in output_of(out, "zhao@#stamping> dms")


def test_the_setup_demo_sets_a_plant_up_in_slack_from_nothing(settings, db, clock):
    """examples/demo-setup.txt: Monday at a plant that loaded no file (``sandbox --empty``)."""
    out = io.StringIO()
    script = ROOT / "examples" / "demo-setup.txt"
    status = run_sandbox(settings, script=str(script), fresh=False, empty=True, stdout=out, clock=clock)
    assert status == 0, out.getvalue()
    out = out.getvalue()
    assert "管理员正在选择分析处理报告的频道" in output_of(out, "zhang@#stamping> press 提交此报告")
    assert "抱歉，只有管理员可以执行此操作。" in output_of(out, "zhang@#stamping> /triad setup")
    assert "A report (EN-2026-0001) cannot be posted" in output_of(out, "zhao@#stamping> dms")
    assert "1 report is waiting for a triage channel." in output_of(out, "zhao@dm> press Open set-up")
    chosen = output_of(out, "zhao@dm> submit")
    assert "#triage  Triad: EN-2026-0001" in chosen and "✉ Triad wrote to Zhang Wei" in chosen
    assert "⚠ There is already a department “stamping”." in output_of(out, "zhao@dm> submit", 4)
    assert "Press line 3 · Stamping" in output_of(out, "zhao@dm> submit", 5)
    assert "现已发布在 #triage" in output_of(out, "zhang@#triage> dms")
    assert "🔔 #stamping  Triad: HZ-2026-0001" in output_of(out, "zhang@#stamping> submit")
    assert "╭─ 设置" in output_of(out, "zhao@#stamping> /triad setup")


def test_the_reports_demo_plays_the_closed_loop_and_the_anonymous_near_miss(settings, db, clock):
    """examples/demo-reports.txt is the README's story: each of its turns is here, so it cannot silently break."""
    out = demo(settings, clock, "demo-reports.txt")

    # Zhang's words fill in the form: an environmental issue at press line 3, tagged to ISO 14001 and 45001.
    form = output_of(out, "zhang@#stamping> /report 3号压机下面漏油，地面很滑")
    assert "▸ 环境问题" in form and "▸ 一厂 · 3号压机线" in form and "▸ 冲压车间" in form
    assert "▸ ISO 14001 环境, ISO 45001 职业健康安全" in form
    filed = output_of(out, "zhang@#stamping> submit")
    reference = re.search(r"\bEN-\d{4}-0001\b", filed).group()
    assert f"谢谢！您的报告 {reference} 已提交" in filed and "#safety  Triad: 📝 New report" in filed

    # Li Na triages in the channel; after each form closes, buttons are the card's again (not the form's fields).
    assert "👀 In triage" in output_of(out, "li@#stamping> press Acknowledge")
    assert "╭─ Assess risk" in output_of(out, "li@#stamping> press Assess risk")
    assert "🟡 Medium / 一般风险（黄色） · 4 × 2" in output_of(out, "li@#stamping> submit")
    assert "╭─ Assign an action" in output_of(out, "li@#stamping> press Assign action", 2)
    assert "Actions under way: 0 of 2 verified" in output_of(out, "li@#stamping> submit", 3)

    # Zhang completes with a note and a photo; Li Na verifies; the root cause; both owners sign off; closed.
    assert "此措施已完成，待验证。" in output_of(out, "zhang@dm> submit")
    assert "Evidence: 已放好接油盘，地面已清理干净 · tray.jpg" in output_of(out, "li@dm> dms")
    assert "This action is verified effective." in output_of(out, "li@dm> press Effective")
    assert "waiting for sign-off by the Safety owner" in output_of(out, "wang@#stamping> press Sign off")
    closed = output_of(out, "liu@#stamping> press Sign off")
    assert "✅ Closed: all actions verified" in closed and "The report is closed" in closed

    # Zhang reads the outcome in Chinese, and the timeline.
    assert f"{reference}：✅ 报告已关闭：所有措施均已验证有效。" in output_of(out, "zhang@#stamping> dms", 2)
    timeline = output_of(out, "zhang@dm> /report status $ref")
    assert f"$ref = {reference}" in timeline and "处理记录" in timeline
    assert "王芳 已代表环境体系签核。" in timeline and "刘洋 已代表安全体系签核。" in timeline

    # The anonymous near miss: a code shown once, a question in the thread, the answer through the code.
    receipt = output_of(out, "zhang@dm> submit", 2)
    code = re.search(r"/report follow ([A-Z0-9]{4}-[A-Z0-9]{4})", receipt).group(1)
    assert "已匿名提交" in receipt
    assert f"$code = {code}" in output_of(out, "zhang@#stamping> /report follow $code")
    assert "刘洋 询问报告人：Which forklift" in output_of(out, "zhang@#stamping> /report follow $code")
    thread = output_of(out, "liu@#stamping> thread Near miss")
    assert "Reporter (anonymous) answered: 2号叉车，倒车时报警器没有响" in thread
    assert "NM-" in thread and "EN-" not in thread and "Zhang" not in thread

    # Left open for nine days: the owner is reminded, the supervisor told, then the manager (never Liu Yang,
    # who owns the action and also the safety system).
    waited = output_of(out, "li@#stamping> wait 9d")
    assert "its owner was reminded" in waited and "escalated to @Li Na" in waited and "✉ Triad, in your DMs" in waited
    assert "escalated to @Zhao Min" in waited and "escalated to @Liu Yang" not in waited
    assert "⏰ Action NM-" in output_of(out, "liu@#stamping> dms")
    assert "6 days overdue" in output_of(out, "liu@dm> /actions")


def test_the_two_plants_demo_keeps_each_workspace_to_itself(settings, db, clock):
    """examples/demo-two-plants.txt: a second workspace that has just installed Triad gets a report and sets up;
    the demo plant, in its own workspace, sees nothing of it."""
    out = demo(settings, clock, "demo-two-plants.txt")
    listing = output_of(out, "zhao@#stamping> workspaces")
    assert "→ Triad Sandbox (T0TRIAD)" in listing and "\n  Lakeside Plant (T0LAKE)" in listing
    people = output_of(out, "zhao@#stamping> who")
    assert people.index("zhao") < people.index("Lakeside Plant (T0LAKE)") < people.index("huang")

    # `as` moves the console into the person's workspace, to a channel of its own.
    assert "您现在位于 Slack 工作区 Lakeside Plant" in output_of(out, "zhang@#stamping> as sun")
    assert "管理员正在选择分析处理报告的频道" in output_of(out, "sun@#assembly> press 提交此报告")
    assert "1 report is waiting for a triage channel." in output_of(out, "huang@#assembly> /triad setup")
    posted = output_of(out, "huang@#assembly> submit")
    assert "#triage  Triad: NM-2026-0001 · Near miss: 装配线上的扳手掉了" in posted
    assert "✉ Triad wrote to Sun Lei" in posted
    assert "现已发布在 #triage" in output_of(out, "sun@#triage> dms")

    # Back at the demo plant: its #triage is another channel, and its NM-2026-0001 is Zhang's own near miss.
    back = out[out.index("sun@dm> as zhao"):]
    assert "You are in the Slack workspace Triad Sandbox" in back and "扳手" not in back
    assert "No messages yet." in output_of(out, "zhao@dm> #triage")
    home = output_of(out, "zhao@#triage> home")
    assert "NM-2026-0001 (Near miss) waits for triage: 叉车倒车时差点撞到人" in home and "6 people" in home
    assert "叉车倒车时差点撞到人" in output_of(out, "zhang@#triage> /report mine")
    assert "叉车倒车时差点撞到人" in output_of(out, "zhang@#triage> /report status NM-2026-0001")


def test_each_workspace_has_its_own_bot_token_channels_and_reports(settings, db, clock):
    """What the console showed is what Slack and the database hold: both workspaces installed through OAuth."""
    from sqlalchemy import select

    from sandbox import demo
    from sandbox.console import completions
    from sandbox.harness import Harness
    from sandbox.session import Session
    from storage.models import Report
    from storage.models.installs import BOTS

    harness = Harness(settings, installs=True, clock=clock).start(migrate_db=False)
    try:
        harness.install_demo()
        with db.read() as s:
            tokens = dict(s.execute(select(BOTS.c.team_id, BOTS.c.bot_token)).all())
        assert sorted(tokens) == ["T0LAKE", "T0TRIAD"] and len(set(tokens.values())) == 2
        session = Session(harness, io.StringIO())
        for line in ("as zhang", "/report hazard guard missing on press 3", "submit",
                     "as sun", "#triage", "/report 未遂 扳手掉了", "submit"):
            assert session.run(line), line
        assert "#assembly" in completions(session) and "#stamping" not in completions(session)
        assert len(harness.emulator.messages("C0TRIAGE")) == 0 and harness.emulator.messages("C1TRIAGE")
        for workspace, words in ((demo.PLANT, "guard missing on press 3"), (demo.LAKESIDE, "扳手掉了")):
            with db.read(harness.organisation(workspace.team_id)) as s:
                assert s.scalars(select(Report.description)).all() == [words]
    finally:
        harness.stop()


def test_the_readme_tour_replays_to_a_closed_report(settings, db, clock):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("### Trying it: the sandbox", 1)[1].split("```\n", 2)[1]
    assert "\nas zhang\n/report " in tour
    status, out = replay(settings, clock, tour)
    assert status == 0, out
    assert "✅ Closed: all actions verified" in output_of(out, "liu@#stamping> press Sign off")
    assert "✅ 报告已关闭" in output_of(out, "zhang@#stamping> dms", 2)


def test_every_console_text_exists_in_both_languages():
    used = set()
    for path in (ROOT / "sandbox").rglob("*.py"):
        used |= set(re.findall(r"""(?:word|say)\(\s*f?["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith(".")}
    assert len(used) > 20  # the console's own modules were read
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
    # a name whole, no line starts with ：
    assert render.wrap(["一二三四五六七 @李娜：好"], 20) == ["一二三四五六七", "@李娜：好"]


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


def test_options_by_their_label_without_the_emoji_and_dates_from_today():
    risk = {"type": "static_select", "options": [option(":large_green_circle: Low", "low"),
                                                  option(":large_yellow_circle: 中", "medium")]}
    assert parse(risk, "low") == parse(risk, "🟢 Low") == "low" and parse(risk, "中") == "medium"
    today = forms.Directory({}, {}, {}, "Asia/Shanghai", date(2026, 3, 1))
    picker = {"type": "datepicker"}
    assert [forms.parse(picker, typed, today, None) for typed in ("today", "tomorrow", "+3d", "明天")] == \
        ["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-02"]
    with pytest.raises(forms.FieldError):
        parse(picker, "next week")


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


# --- nothing kills the console --------------------------------------------------------------------

def test_stale_numbers_and_a_failing_listener_each_get_a_line_and_the_replay_goes_on(settings, db, clock):
    status, out = replay(settings, clock, """\
        as li
        press 7
        outage on
        /report oil leaking under press 3
        outage off
        /triad help
        """)
    assert status == 1  # the stale number is a failed line; nothing ended the replay
    assert "nothing to press called “7”" in after(out, "li@#stamping> press 7")
    assert "Traceback" not in out
    assert "/triad language en" in after(out, "li@#stamping> /triad help")  # still running, still answering


def console(settings, clock):
    from sandbox.harness import Harness
    from sandbox.session import Session

    harness = Harness(settings, clock=clock).start(migrate_db=False)
    out = io.StringIO()
    return harness, Session(harness, out), out


def said(session, out, line: str) -> str:
    out.seek(0)
    out.truncate()
    session.run(line)
    return out.getvalue()


def test_a_press_on_a_message_that_lost_its_buttons_says_so_in_the_consoles_language(settings, db, clock):
    harness, session, out = console(settings, clock)
    try:
        for line in ("as zhang", "/report hazard guard missing on press 3", "submit", "#stamping"):
            session.run(line)
        card = [m for m in harness.emulator.messages("C0STAMP") if m.get("blocks")][-1]
        harness.runtime.gateway.client.chat_update(channel="C0STAMP", ts=card["ts"], text="…", blocks=[])
        assert "那个按钮已不在" in said(session, out, "press 1")
        assert "/triad language" in said(session, out, "/triad help")
    finally:
        harness.stop()


@contextmanager
def database_swapped(harness, database):
    runtime_db = harness.runtime.db
    engine, factory = runtime_db.engine, runtime_db._factory
    runtime_db.engine, runtime_db._factory = database.engine, database._factory
    try:
        yield
    finally:
        runtime_db.engine, runtime_db._factory = engine, factory
        database.dispose()


def test_a_console_command_meeting_an_unreachable_database_says_what_happened(settings, db, clock):
    from storage.db import Database

    harness, session, out = console(settings, clock)
    try:
        with database_swapped(harness, Database("sqlite:////nonexistent-directory/triad.sqlite3")):
            assert "went wrong inside the sandbox (OperationalError)" in said(session, out, "outbox")
        assert "The outbox is empty" in said(session, out, "outbox")
    finally:
        harness.stop()


def test_a_console_command_meeting_a_busy_database_says_so_and_the_console_goes_on(settings, db, clock):
    """Another program holds a lock the console's command needs: SQLite's write lock on the file, or a
    PostgreSQL table lock. The console gives up at once here (instead of after its usual wait) and says so."""
    from sqlalchemy import event

    from storage.db import Database

    harness, session, out = console(settings, clock)
    if settings.database_url.startswith("sqlite:///"):
        import sqlite3

        impatient = Database(settings.database_url)
        event.listen(impatient.engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=0"))
        locker = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), timeout=10, isolation_level=None)
        lock, unlock = (lambda: locker.execute("BEGIN EXCLUSIVE")), (lambda: locker.execute("ROLLBACK"))
    else:
        separator = "&" if "?" in settings.database_url else "?"
        impatient = Database(f"{settings.database_url}{separator}options=-c%20lock_timeout%3D200")
        locker = db.engine.raw_connection()
        lock = lambda: locker.cursor().execute("LOCK TABLE outbox_message IN ACCESS EXCLUSIVE MODE")  # noqa: E731
        unlock = locker.rollback
    try:
        with database_swapped(harness, impatient):
            lock()
            assert "The database is busy" in said(session, out, "outbox")
            unlock()
            assert "The outbox is empty" in said(session, out, "outbox")
    finally:
        locker.close()
        harness.stop()


def test_the_evidence_demo_flags_a_backdated_burst_and_a_record_changed_behind_triads_back(settings, db, clock):
    """examples/demo-evidence.txt: five hazards filed as weeks old, a burst the safety owner hears of; a filing
    moved a month back in the database, named by `evidence` and told to the administrator."""
    out = demo(settings, clock, "demo-evidence.txt")
    # the organisation file and the register file loaded, with the register's three drafts
    assert "Evidence log: 5 entries, sealed up to seq 5" in output_of(out, "zhao@#stamping> evidence")
    burst = output_of(out, "liu@#stamping> dms")
    assert "Possibly back-dated records." in burst and "5 records written between" in burst
    assert "more than 7 days before they were written" in burst
    assert "1 break in the chain" in output_of(out, "zhao@dm> evidence")
    assert "a record was edited after it was written" in output_of(out, "zhao@dm> evidence")
    alert = out[out.index("zhao@dm> wait 6h"):out.index("zhao@dm> dms")]
    assert alert.count("The evidence log has been tampered with.") == 1, alert
    exported = out[out.rindex("zhao@dm> dms"):]
    assert "📎 triad-evidence-" in exported and ".xlsx" in exported


def test_the_procedures_demo_publishes_checks_reminds_escalates_revises_and_reaches_a_newcomer(settings, db, clock):
    """examples/demo-procedures.txt: lockout/tagout published to Stamping and Painting; Zhang Wei answers its check
    wrong then right; Li Na is reminded, then the safety owner hears she is overdue; a major revision shows Zhang
    what changed; a newcomer is asked for chemical spill response once Triad first sees him."""
    out = demo(settings, clock, "demo-procedures.txt")
    assert "2 people were asked to read and acknowledge it" in output_of(out, "liu@#stamping> press 3")
    card = output_of(out, "zhang@#stamping> dms")
    assert "冲压及涂装设备上锁挂牌作业程序" in card and "请先回答 2 道小题" in card
    assert "不太对。停止按钮不是能量隔离。" in output_of(out, "zhang@dm> submit")
    assert "您已于 2026年11月30日确认第 1.0 版" in output_of(out, "zhang@dm> submit", 2)
    assert "Reminder: 1 procedure waits for you" in output_of(out, "li@dm> dms")
    assert "1 acknowledgment is overdue on procedures of your system" in output_of(out, "liu@dm> dms")
    assert "1 of 2 (50%)" in output_of(out, "liu@dm> /procedures coverage")
    revised = output_of(out, "zhang@dm> dms", 2)
    assert "与您确认过的第 1.0 版相比的变更" in revised and "➕ 2. 按设备的上锁挂牌卡隔离所有能源" in revised
    assert "您已于 2026年12月15日确认第 2.0 版" in output_of(out, "zhang@dm> submit", 3)
    assert "SOP-ENV-003" in output_of(out, "wu@dm> /procedures") and "化学品泄漏" in output_of(out, "wu@dm> dms")
