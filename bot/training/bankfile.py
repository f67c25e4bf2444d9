"""The question bank kept as YAML files (documented in examples/questions/), read node by node so that every
problem names its file and line; a file with any problem is refused whole. Nothing here touches the database:
`python -m bot questions check FILE...` reads the files alone."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from bot.filecheck import FileProblems, ValueChecker, compose
from bot.org.rules import STANDARD_NAMES
from bot.procedures.registerfile import audience_from
from bot.procedures.values import Audience
from bot.training.bank import BankQuestion, problems
from storage.models import Standard

KEYS = {"id", "standards", "topic", "audience", "procedure", "critical", "question", "options", "correct",
        "explanation"}
REQUIRED = frozenset({"id", "standards", "topic", "question", "options", "correct", "explanation"})


class BankFileError(FileProblems):
    """Every problem of the bank's files, each "<file> line N: what is wrong"."""


def parse(text: str, source: str = "question bank") -> tuple[list[BankQuestion], list[str]]:
    """The questions of one file and what is wrong in it (raises only when it is not YAML)."""
    check = ValueChecker(source)
    top = check.mapping(compose(text, source, BankFileError), "the file", {"questions"}, {"questions"}) or {}
    found = []
    for node in check.sequence(top.get("questions"), "questions"):
        question = _question(check, node)
        if question is not None:
            found.append(question)
    return found, check.problems


def _question(check: ValueChecker, node: Node) -> BankQuestion | None:
    items = check.mapping(node, "a question", KEYS, REQUIRED)
    if items is None:
        return None
    ident = check.scalar(items.get("id"), "id")
    standards: list[Standard] = []
    for item, word in check.words(items.get("standards"), "standards"):
        if word in STANDARD_NAMES:
            standards.append(STANDARD_NAMES[word])
        else:
            check.fail(item, f"standards: “{word}” is not a system: quality, environment or safety")
    correct: list[int] = []
    for item, word in check.words(items.get("correct"), "correct"):
        if word.isdigit() and len(word) < 3:
            correct.append(int(word) - 1)  # the file counts from 1, as a reader does
        else:
            check.fail(item, f"correct: “{word}” is not an option's number")
    question_en, question_zh = check.bilingual(items.get("question"), "question")
    explanation_en, explanation_zh = check.bilingual(items.get("explanation"), "explanation")
    audience = audience_from(check, items["audience"]) if "audience" in items else Audience(everyone=True)
    question = BankQuestion(
        id=ident, standards=tuple(dict.fromkeys(standards)), topic=check.scalar(items.get("topic"), "topic"),
        question_en=question_en, question_zh=question_zh,
        options=tuple(check.bilingual(o, "option") for o in check.sequence(items.get("options"), "options")),
        correct=tuple(correct), explanation_en=explanation_en, explanation_zh=explanation_zh, audience=audience,
        procedure=check.scalar(items.get("procedure"), "procedure") or None,
        critical=check.flag(items.get("critical"), "critical", False))
    for key, problem in problems(question).items():
        check.fail(_at(node, key), f"{ident or 'a question'}: {key}: {problem}")
    return question


def _at(node: Node, key: str) -> Node:
    """The node of ``key`` in the question, else the question itself."""
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node
    return node


def read(paths: Iterable[Path]) -> list[BankQuestion]:
    """Every question of the files, once each; raises BankFileError with every problem of every file."""
    found: list[BankQuestion] = []
    problems_found: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems_found.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        try:
            questions, wrong = parse(text, str(path))
        except BankFileError as exc:
            problems_found.extend(exc.problems)
            continue
        problems_found.extend(wrong)
        for question in questions:
            if question.id in seen:
                problems_found.append(f"{path}: {question.id} is already a question of {seen[question.id]}: "
                                      "each id is used once in the bank")
            seen.setdefault(question.id, str(path))
            found.append(question)
    if problems_found:
        raise BankFileError(problems_found)
    return found


def files_of(paths: Iterable[Path]) -> list[Path]:
    """The files given, a folder standing for its .yml files."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.yml")) if path.is_dir() else [path])
    return found
