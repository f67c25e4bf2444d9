"""The question bank as plain values, and the checks every question passes however it was written (a file now,
a form in Slack later). A question is asked as a message with one button per option, so an option is a button's
words: at most 75 characters."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.procedures.values import Audience
from storage.models import Standard

ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,3}$")  # SAF-LOTO-01
TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
QUESTION_MAX, OPTION_MAX, EXPLANATION_MAX = 300, 75, 500
OPTIONS_MIN, OPTIONS_MAX = 2, 5
CATCH_ALL = re.compile(r"\b(all|none) of the above\b|以上(都|皆|均)(是|对|不是|不对)", re.IGNORECASE)


@dataclass(frozen=True)
class BankQuestion:
    id: str
    standards: tuple[Standard, ...]
    topic: str
    question_en: str
    question_zh: str
    options: tuple[tuple[str, str], ...]  # (English, Chinese), shuffled when asked
    correct: tuple[int, ...]  # indexes of the right options
    explanation_en: str
    explanation_zh: str
    audience: Audience = Audience(everyone=True)
    procedure: str | None = None  # the code of the procedure it checks
    critical: bool = False


def problems(question: BankQuestion) -> dict[str, str]:
    """What is wrong with one question, by the key it is about; {} when nothing is."""
    found: dict[str, str] = {}
    if not ID.match(question.id):
        found["id"] = (f"“{question.id}” is not a question id: capital letters and digits in 2 to 4 parts joined "
                       "by -, for example SAF-LOTO-01")
    if not question.standards:
        found["standards"] = "name the system(s) it serves: quality, environment or safety"
    if not TOPIC.match(question.topic):
        found["topic"] = f"“{question.topic}” is not a topic: lower-case letters, digits and -, for example ppe"
    for key, (en, zh), limit in (("question", (question.question_en, question.question_zh), QUESTION_MAX),
                                 ("explanation", (question.explanation_en, question.explanation_zh), EXPLANATION_MAX)):
        missing = [lang for lang, words in (("en", en), ("zh", zh)) if not words.strip()]
        long = [lang for lang, words in (("en", en), ("zh", zh)) if len(words) > limit]
        if missing:
            found[key] = f"needs its words in {' and '.join(missing)}"
        elif long:
            found[key] = f"at most {limit} characters in each language ({' and '.join(long)} are longer)"
    if not OPTIONS_MIN <= len(question.options) <= OPTIONS_MAX:
        found["options"] = f"{OPTIONS_MIN} to {OPTIONS_MAX} options, not {len(question.options)}"
    for n, (en, zh) in enumerate(question.options, start=1):
        if not en.strip() or not zh.strip():
            found.setdefault("options", f"option {n} needs its words in English and in Chinese")
        elif max(len(en), len(zh)) > OPTION_MAX:
            found.setdefault("options", f"option {n} is longer than {OPTION_MAX} characters (a button's words)")
        elif CATCH_ALL.search(en) or CATCH_ALL.search(zh):
            found.setdefault("options", f"option {n} is a catch-all (all / none of the above): options are shuffled")
    if len({en.strip().casefold() for en, _ in question.options}) < len(question.options):
        found.setdefault("options", "two options say the same thing")
    if not question.correct:
        found["correct"] = "name the right option(s) by number, 1 for the first"
    elif any(not 0 <= n < len(question.options) for n in question.correct) or len(set(question.correct)) < len(
            question.correct):
        found["correct"] = f"the right option(s) are numbers from 1 to {len(question.options)}, each once"
    elif len(question.correct) == len(question.options):
        found["correct"] = "every option is right: nothing is asked"
    return found
