"""A department's channel read by a Chinese worker and an English supervisor gets its cards in both
languages; a channel whose readers all read one language gets that one. Through signed requests."""
from __future__ import annotations

from tests.e2e.test_reports import SUPERVISOR, WORKER, card, dumped, file_report, thread_text


def test_a_mixed_department_channel_reads_both_languages_and_a_chinese_one_only_chinese(harness):
    h = harness
    file_report(h, WORKER, "隐患 3号压机防护罩松动")  # Zhang Wei reads Slack in Chinese
    h.driver.press_button(SUPERVISOR, card(h), action_id="report_acknowledge")  # Li Na in English

    shown = dumped(card(h))
    assert "*In triage* / *分析中*" in shown and "Acknowledge" not in shown  # each text once per language
    assert "Assess risk / 评估风险" in shown and "*Risk* / *风险*" in shown
    assert shown.count("3号压机防护罩松动") == 2  # the words themselves once (and in the notification text)
    replies = thread_text(h, card(h))
    assert "*Li Na* acknowledged the report" in replies and "*李娜* 已确认接收" in replies
    assert "新报告" not in dumped(h.emulator.messages("C0SAFETY"))  # the safety owner reads English

    # Li Na switches to Chinese: now everyone in #stamping reads Chinese, and the card follows.
    assert h.driver.slash(SUPERVISOR, "/triad", "language zh").status == 200
    h.driver.press_button(SUPERVISOR, card(h), action_id="report_assess")
    h.emulator.wait_for(lambda: h.emulator.open_modal(SUPERVISOR))
    h.driver.submit(SUPERVISOR, {"likelihood": "2", "severity": "2"})
    shown = dumped(card(h))
    assert ":large_blue_circle: 低风险（蓝色） · 2 × 2" in shown and "Risk" not in shown
