"""Every procedure surface stays within Block Kit's limits in both languages, at the longest the rules allow, and
shows what people wrote literally (no one can ping @channel or spoof a link from a procedure)."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot import blockkit
from bot.i18n import Reader
from bot.procedures import rules
from handlers.procedures import cards
from storage.models import Acknowledgment, AckStatus, Procedure, ProcedureQuestion, ProcedureVersion, Question


def longest_version(version: str = "12.3", *, summary_line: str = "x") -> ProcedureVersion:
    def question(n: int) -> ProcedureQuestion:
        return ProcedureQuestion(position=n, question=Question(
            prompt_en="q" * rules.QUESTION_MAX, prompt_zh="问" * rules.QUESTION_MAX,
            choices=[{"en": f"{c}" * rules.CHOICE_MAX, "zh": f"{c}" * rules.CHOICE_MAX} for c in "abcd"], answer=2,
            explanation_en="e" * rules.EXPLANATION_MAX, explanation_zh="释" * rules.EXPLANATION_MAX))
    summary = "\n".join([summary_line * 100] * (rules.SUMMARY_MAX // 101))
    return ProcedureVersion(
        procedure=Procedure(code="SOP-" + "X" * (rules.CODE_MAX - 4)), version=version, title_en="T" * rules.TITLE_MAX,
        title_zh="标" * rules.TITLE_MAX, summary_en=summary, summary_zh=summary, change_note_en="n" * rules.NOTE_MAX,
        change_note_zh="改" * rules.NOTE_MAX, document_url="https://docs.example.com/" + "d" * 470,
        effective_on=date(2026, 11, 30), checks=[question(n) for n in range(rules.QUESTIONS_MAX)], id=2)


def owed() -> Acknowledgment:
    return Acknowledgment(due_on=date(2026, 12, 14), reason="revised", status=AckStatus.PENDING,
                          acknowledged_at=datetime(2026, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_card_and_the_reading_form_fit_at_their_longest(lang):
    reader = Reader(lang=lang, tz="Asia/Shanghai")
    before, after = longest_version("1.0", summary_line="a"), longest_version("2.0", summary_line="b")
    for state in ("owed", "acknowledged"):
        card = cards.card(reader, after, owed(), since=before, state=state, settled="done")
        assert blockkit.problems(card, "message") == []
    assert blockkit.problems(cards.reading_form(reader, after, before), "modal") == []


def test_what_people_wrote_is_shown_literally():
    version = longest_version()
    version.summary_en = "<!channel> see <https://evil.example|the real SOP> & call @here"
    card = json.dumps(cards.card(Reader(), version, owed(), since=None), ensure_ascii=False)
    assert "<!channel>" not in card and "<https://evil" not in card and "&lt;!channel&gt;" in card
