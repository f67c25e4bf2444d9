"""The question bank's files: the starter bank passes every check (at least 20 questions per system, each in both
languages), and a bad file names each problem with its file and line."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot import cli
from bot.training import bankfile
from storage.models import Standard

STARTER = Path(__file__).resolve().parents[2] / "examples" / "questions"

GOOD = """\
questions:
  - id: SAF-LOTO-01
    standards: [safety]
    topic: lockout-tagout
    procedure: SOP-EHS-007
    critical: true
    question: {en: "Who removes your lock?", zh: 谁可以摘除你的锁？}
    options:
      - {en: Only you, zh: 只有你本人}
      - {en: The next shift, zh: 下一班的人}
    correct: [1]
    explanation: {en: Your lock protects you., zh: 你的锁保护的是你自己。}
"""


def problems(text: str) -> list[str]:
    return bankfile.parse(text, "bank.yml")[1]


def test_the_starter_bank_passes_every_check_with_twenty_questions_per_system():
    found = bankfile.read(bankfile.files_of([STARTER]))
    per_system = Counter(s for q in found for s in q.standards)
    assert all(per_system[s] >= 20 for s in Standard), per_system
    assert len({q.id for q in found}) == len(found) >= 60


def test_a_good_question_reads_whole():
    (question,), wrong = bankfile.parse(GOOD, "bank.yml")
    assert wrong == []
    assert question.correct == (0,) and question.critical and question.procedure == "SOP-EHS-007"
    assert question.audience.everyone and question.options[1] == ("The next shift", "下一班的人")


@pytest.mark.parametrize(("change", "expected"), [
    (("id: SAF-LOTO-01", "id: loto"), "bank.yml line 2: loto: id: “loto” is not a question id"),
    (("standards: [safety]", "standards: [safty]"), "bank.yml line 3: standards: “safty” is not a system"),
    (("zh: 谁可以摘除你的锁？}", "zh: ''}"), "bank.yml line 7: SAF-LOTO-01: question: needs its words in zh"),
    (("correct: [1]", "correct: [3]"), "bank.yml line 11: SAF-LOTO-01: correct: the right option(s) are numbers"),
    (("{en: The next shift, zh: 下一班的人}", "{en: None of the above, zh: 以上都不对}"),
     "SAF-LOTO-01: options: option 2 is a catch-all"),
    (("{en: Only you, zh: 只有你本人}", "{en: Only you, zh: 只有你本人, fr: Toi}"),
     "bank.yml line 9: unknown key 'fr' in option"),
    (("topic: lockout-tagout", "topic: Lockout Tagout"), "SAF-LOTO-01: topic: “Lockout Tagout” is not a topic"),
])
def test_each_problem_is_named_with_its_line(change, expected):
    found = problems(GOOD.replace(*change))
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_an_option_longer_than_a_button_and_a_question_id_twice_are_refused(tmp_path):
    long = GOOD.replace("{en: The next shift,", "{en: " + "x" * 76 + ",")
    assert any("option 2 is longer than 75 characters" in p for p in problems(long))
    (tmp_path / "a.yml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(bankfile.BankFileError) as refused:
        bankfile.read(bankfile.files_of([tmp_path]))
    assert refused.value.problems == [f"{tmp_path / 'b.yml'}: SAF-LOTO-01 is already a question of "
                                      f"{tmp_path / 'a.yml'}: each id is used once in the bank"]


def test_the_cli_checks_files_without_a_database(tmp_path, capsys):
    (tmp_path / "bank.yml").write_text(GOOD, encoding="utf-8")
    assert cli.main(["questions", "check", str(tmp_path)]) == 0
    assert "1 questions, all good: 1 safety; 1 critical." in capsys.readouterr().out
    (tmp_path / "bank.yml").write_text(GOOD.replace("correct: [1]", "correct: [9]"), encoding="utf-8")
    assert cli.main(["questions", "check", str(tmp_path / "bank.yml")]) == 1
    assert "1 problem(s)." in capsys.readouterr().err
