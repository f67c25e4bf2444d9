"""The texts the plant trial noted, as a Chinese and an English reader read them."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot import blockkit, clock
from bot.i18n import Reader, catalog, merged, plain, safe, shortened, split_text, text
from bot.org import channels, people
from bot.reports import corrective, service
from bot.reports.service import ReportDraft
from handlers.reports import cards, forms, labels
from handlers.reports import cards as surfaces
from handlers.reports import home as reports_home
from storage.models import EvidenceEntry, OutboxMessage, Person, ReportKind, ReportStatus, RiskLevel
from tests.unit.reports_world import SAFETY, SUPERVISOR, WORKER, actor, assign, file, load_plant

ZH, EN = Reader(lang="zh"), Reader(lang="en")


def dumped(surface) -> str:
    return json.dumps(surface, ensure_ascii=False)


@pytest.fixture
def world(db):
    load_plant(db)
    return db


# --- risk grades: China's four colours ------------------------------------------------------------

@pytest.mark.parametrize(("level", "chinese", "english", "colour"), [
    (RiskLevel.LOW, "低风险（蓝色）", "Low", ":large_blue_circle:"),
    (RiskLevel.MEDIUM, "一般风险（黄色）", "Medium", ":large_yellow_circle:"),
    (RiskLevel.HIGH, "较大风险（橙色）", "High", ":large_orange_circle:"),
    (RiskLevel.CRITICAL, "重大风险（红色）", "Critical", ":red_circle:"),
])
def test_risk_grades_are_china_s_four_colours_in_both_languages(level, chinese, english, colour):
    assert plain(ZH, f"reports.risk.{level.value}") == f"{colour} {chinese}"
    assert plain(EN, f"reports.risk.{level.value}") == f"{colour} {english}"
    assert colour in text(ZH, "reports.form.risk.matrix") and colour in text(EN, "reports.form.risk.matrix")


def test_the_matrix_and_the_due_dates_name_the_grades_as_the_cards_do():
    matrix = text(ZH, "reports.form.risk.matrix")
    assert all(grade in matrix for grade in ("低风险", "一般风险", "较大风险", "重大风险"))
    assert "较大风险 7 天" in plain(ZH, "reports.form.action.due_hint")
    assert "large_green_circle" not in json.dumps([text(r, "reports.form.risk.matrix") for r in (ZH, EN)])


def test_a_scored_risk_reads_without_doubled_brackets():
    assert labels.risk_label(ZH, RiskLevel.MEDIUM, 4, 2) == ":large_yellow_circle: 一般风险（黄色） · 4 × 2"
    assert labels.risk_label(EN, RiskLevel.MEDIUM, 4, 2) == ":large_yellow_circle: Medium · 4 × 2"


# --- a quality defect's severity in quality words ----------------------------------------------------

def severity_options(form) -> list[str]:
    block = next(b for b in form["blocks"] if b.get("block_id") == "severity")
    return [o["text"]["text"] for o in block["element"]["options"]]


def test_a_defect_is_assessed_in_nonconformities_and_a_hazard_in_harm(world):
    defect = file(world, kind=ReportKind.DEFECT, description="Burr on the edge of lot 42").report
    hazard = file(world).report
    with world.session() as s:
        zh_defect = severity_options(forms.risk_form(ZH, s.get(type(defect), defect.id), residual=False))
        en_defect = severity_options(forms.risk_form(EN, s.get(type(defect), defect.id), residual=False))
        en_hazard = severity_options(forms.risk_form(EN, s.get(type(hazard), hazard.id), residual=False))
    assert zh_defect[1:4] == ["2 · 轻微不合格（外观问题，可直接使用或返工后使用）",
                              "3 · 一般不合格（影响装配或功能，需返工或报废）",
                              "4 · 严重不合格（涉及安全或法规特性，或影响顾客）"]
    assert "Minor nonconformity" in en_defect[1] and "Major nonconformity" in en_defect[2]
    assert not any(word in json.dumps(zh_defect + en_defect, ensure_ascii=False)
                   for word in ("first aid", "spill", "lost time", "急救", "泄漏"))
    assert "first aid" in en_hazard[1]


def test_a_defect_card_and_timeline_name_its_nonconformity(world):
    report_id = file(world, kind=ReportKind.DEFECT, description="Burr on the edge of lot 42").report.id
    with world.session() as s:
        service.assess_risk(s, actor(world, SUPERVISOR), report_id, 3, 3)
    with world.session() as s:
        report = service.get(s, report_id)
        assert "一般风险（黄色） · 3 × 3 · 一般不合格" in dumped(cards.report_card(s, report, ZH))
        assert "Medium · 3 × 3 · major nonconformity" in dumped(cards.report_card(s, report, EN))
        timeline = dumped(surfaces.timeline_surface(s, report, ZH, modal=True))
        assert "可能性 3 × 严重程度 3（一般不合格）。" in timeline


# --- no stray spaces in Chinese ---------------------------------------------------------------------

def test_chinese_names_sit_close_to_the_words_around_them():
    assert text(ZH, "reports.event.filed", who="张伟") == "张伟提交了此报告。"
    assert text(ZH, "reports.event.filed", who=text(ZH, "reports.anonymous_reporter")) == "报告人（匿名）提交了此报告。"
    assert plain(ZH, "sandbox.others_dm", name="张伟", count=1, handle="zhang").startswith("✉ Triad 给张伟发了私信")


def test_spaces_chinese_needs_are_kept():
    assert text(ZH, "reports.event.filed", who=safe("*张伟*")) == "*张伟* 提交了此报告。"  # Slack needs it for bold
    assert text(ZH, "reports.event.filed", who=safe("<@U0ZHANG>")) == "<@U0ZHANG> 提交了此报告。"
    assert text(ZH, "reports.actions.fallback", count=3) == "您有 3 项未完成的措施。"  # a number stands apart
    # what people wrote stays as they wrote it
    assert text(ZH, "reports.event.question", who="李娜", question="哪台 压机？") == "李娜询问报告人：哪台 压机？"


def test_no_chinese_template_text_keeps_a_space_between_two_chinese_characters():
    spaced = {key: source for key, source in catalog("zh").items()
              if re.search(r"[\u4e00-\u9fff，。：；、（）] +[\u4e00-\u9fff，。：；、（）]",
                           re.sub(r"\{\{.*?\}\}|\{%.*?%\}|`[^`]*`", "x", source))}
    assert spaced == {}


# --- "0 of 0" is never shown -----------------------------------------------------------------------

def test_a_report_whose_actions_all_fell_away_does_not_say_0_of_0(world):
    report_id = file(world).report.id
    action_id = assign(world, report_id)
    with world.session() as s:
        corrective.decline_action(s, actor(world, WORKER), action_id, "The press is being replaced")
    with world.session() as s:
        report = service.get(s, report_id)
        assert report.status == ReportStatus.ACTION
        zh_line, en_line = labels.status_line(s, report, ZH), labels.status_line(s, report, EN)
    assert "0 of 0" not in en_line and "0 项中" not in zh_line
    assert "a new one is needed" in en_line and "需要分派新措施" in zh_line


# --- the Answer form shows the question it answers --------------------------------------------------

def test_the_answer_form_shows_the_question_above_the_answer(world):
    report_id = file(world).report.id
    with world.session() as s:
        service.ask_reporter(s, actor(world, SAFETY), report_id, "Which press?\nSince when?")
    with world.session() as s:
        report = service.get(s, report_id)
        zh_form, en_form = forms.answer_form(s, ZH, report), forms.answer_form(s, EN, report)
    blockkit.check(zh_form, "modal")
    assert zh_form["blocks"][1]["text"]["text"] == "*刘洋* 问：\n>Which press?\n>Since when?"
    assert en_form["blocks"][1]["text"]["text"] == "*Liu Yang* asked:\n>Which press?\n>Since when?"


# --- channel cards in the languages the channel reads -----------------------------------------------

def set_language(db, slack_id: str, lang: str) -> None:
    with db.session() as s:
        people.set_language(s, s.scalar(select(Person).where(Person.slack_user_id == slack_id)), lang)


def test_a_channel_reads_the_languages_of_the_people_it_belongs_to(world):
    with world.session() as s:
        assert channels.languages(s, "C0STAMP") == ["en"]  # nobody's language is known yet: the organisation's
    set_language(world, WORKER, "zh")
    with world.session() as s:
        assert channels.languages(s, "C0STAMP") == ["en", "zh"]  # a Chinese worker and an English supervisor
        assert channels.languages(s, "C0PAINT") == ["en"]
        assert channels.languages(s, "C0SAFETY") == ["en"]  # the safety owner
        assert channels.languages(s, "C0UNKNOWN") == ["en"]
    set_language(world, SUPERVISOR, "zh")
    with world.session() as s:
        assert channels.languages(s, "C0STAMP") == ["zh"]  # everyone there reads Chinese
    set_language(world, SAFETY, "zh")
    with world.session() as s:
        assert channels.languages(s, "C0SAFETY") == ["zh"]
        assert channels.languages(s, "C0TRIAGE") == ["en", "zh"]  # triagers of both languages


def test_a_mixed_channel_s_card_is_in_both_languages_once_each(world):
    report_id = file(world, description="3号压机下面漏油").report.id
    with world.session() as s:
        report = service.get(s, report_id)
        both = merged([cards.report_card(s, report, EN), cards.report_card(s, report, ZH)])
    blockkit.check(both, "message")
    shown = dumped(both)
    assert "Acknowledge / 确认接收" in shown and "*Risk* / *风险*" in shown
    assert shown.count("3号压机下面漏油") == 2  # the notification text and the card: not once per language
    assert both["blocks"][0]["text"]["text"].count(both["blocks"][0]["text"]["text"].split(" · ")[0]) == 1


def test_a_mixed_channel_s_card_gives_the_risk_grade_in_both_languages_and_its_score_once(world):
    report_id = file(world, description="3号压机下面漏油").report.id
    with world.session() as s:
        service.assess_risk(s, actor(world, SUPERVISOR), report_id, 3, 4)
    with world.session() as s:
        report = service.get(s, report_id)
        shown = dumped(merged([cards.report_card(s, report, EN), cards.report_card(s, report, ZH)]))
    assert ":large_orange_circle: High / 较大风险（橙色） · 3 × 4" in shown and shown.count("3 × 4") == 1
    defect = [{"text": "🟠 High · 3 × 4 · major nonconformity"}, {"text": "🟠 较大风险 · 3 × 4 · 一般不合格"}]
    assert merged(defect) == {"text": "🟠 High / 较大风险 · 3 × 4 · major nonconformity / 一般不合格"}


def test_merging_keeps_ids_and_stays_within_slack_s_limits():
    long_en, long_zh = "A" * 70, "甲" * 70
    first = {"blocks": [{"type": "actions", "block_id": "b", "elements": [
        {"type": "button", "action_id": "x", "value": "1", "text": {"type": "plain_text", "text": long_en}}]}]}
    second = {"blocks": [{"type": "actions", "block_id": "b", "elements": [
        {"type": "button", "action_id": "x", "value": "1", "text": {"type": "plain_text", "text": long_zh}}]}]}
    assert merged([first, second]) == first  # both would pass a button's 75 characters
    assert merged([{"text": "Li Na acknowledged it."}, {"text": "李娜已确认。"}]) == {
        "text": "Li Na acknowledged it. / 李娜已确认。"}


# --- cut text is told, with where the whole text is --------------------------------------------------

def test_a_shortened_text_says_so_and_where_the_whole_text_is():
    where = safe("`/report status HZ-2026-0001`")
    assert shortened(EN, "short & sweet", 20) == "short &amp; sweet"
    told = "… _(shortened; the whole text: `/report status HZ-2026-0001`)_"
    assert shortened(EN, "x" * 30, 20, where) == "x" * 20 + told
    assert shortened(ZH, "字" * 30, 20, where) == "字" * 20 + "……（已截断，全文见 `/report status HZ-2026-0001`）"
    assert shortened(EN, "<!channel> " * 5, 20).startswith("&lt;!channel&gt;")


def test_lists_and_channel_lines_that_shorten_a_report_say_so(world):
    long_words = "Oil leaks under press 3. " * 20
    report_id = file(world, description=long_words).report.id
    supervisor = actor(world, SUPERVISOR)
    with world.session() as s:
        line = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "C0SAFETY")).one().payload["text"]
        assert "_(shortened; the whole text: <#C0STAMP>)_" in line
        home = reports_home.waiting(s, supervisor)
        report = service.get(s, report_id)
        assert f"`/report status {report.reference}`" in home[0]["text"]


def test_a_long_description_is_split_across_sections_never_cut(world):
    words = "Oil leaks under press 3 and runs onto the walkway. " * 58  # close to the form's 3,000 characters
    report_id = file(world, description=words.strip()).report.id
    with world.session() as s:
        card = cards.report_card(s, service.get(s, report_id), EN)
    blockkit.check(card, "message")
    described = " ".join(b["text"]["text"] for b in card["blocks"][1:3] if b["type"] == "section" and "text" in b)
    assert described.count("Oil leaks") == 58
    assert split_text(("a " * 10).strip(), 6) == ["a a a", "a a a", "a a a", "a"]


def test_a_form_filled_from_a_longer_message_says_what_did_not_fit(world):
    with world.session() as s:
        form = forms.report_form(s, ZH, ReportDraft(description="漏" * 3500), source_link="https://x.slack.com/a")
        plain_form = forms.report_form(s, EN, ReportDraft(description="leak " * 700))
    blockkit.check(form, "modal")
    hint = next(b for b in form["blocks"] if b.get("block_id") == "description")["hint"]["text"]
    assert "超过 3000 字" in hint and "链接" in hint
    assert "Add the rest in the report's thread" in dumped(plain_form)
    with world.session() as s:
        assert "hint" not in next(b for b in forms.report_form(s, EN, ReportDraft(description="leak"))["blocks"]
                                  if b.get("block_id") == "description")


def test_every_event_still_reads_after_a_risk_assessment_without_the_new_detail(world):
    """Timeline entries written before quality words existed have no nonconformity: they still read."""
    report_id = file(world).report.id
    with world.session() as s:
        s.add(EvidenceEntry(report_id=report_id, written_at=clock.now(), domain="reports", kind="risk_assessed",
                            detail={"level": "low", "likelihood": 1, "severity": 2}))
    with world.session() as s:
        shown = dumped(surfaces.timeline_surface(s, service.get(s, report_id), EN, modal=True))
    assert "Low (likelihood 1 × severity 2)" in shown
