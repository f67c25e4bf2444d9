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


def test_a_transfer_is_told_and_the_owners_called_in_both_languages_of_a_mixed_channel(harness):
    from tests.e2e.test_reports import ENVIRONMENT, department_id, triage_form

    h = harness
    file_report(h, WORKER, "hazard 油漆桶没盖盖子，味道很大")  # #stamping: Zhang reads Chinese, Li English
    first = card(h)
    triage_form(h, SUPERVISOR, first, "report_reclassify", {"kind": "environmental", "standards": ["iso14001"],
                                                             "department": department_id(h, "painting")})
    h.deliver()
    moved = dumped([m for m in h.emulator.messages("C0STAMP") if m["ts"] == first["ts"]][0])
    assert "was transferred to <#C0PAINT>" in moved and "已转至 <#C0PAINT>" in moved
    # Painting hands it back: the new card and the owners' call in #stamping read both languages too.
    triage_form(h, ENVIRONMENT, card(h, "C0PAINT"), "report_reclassify",
                {"department": department_id(h, "stamping")})
    back = card(h)
    assert back["ts"] != first["ts"] and "Environmental issue" in dumped(back) and "环境问题" in dumped(back)
    replies = thread_text(h, back)
    assert "This report concerns these systems" in replies and "本报告涉及以下体系" in replies
