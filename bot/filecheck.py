"""A YAML file read node by node, so that every problem is named with its line: the organisation file's and the
register file's (bot/org/orgfile.py, bot/procedures/registerfile.py). A file with any problem changes nothing."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.i18n import Reader
from bot.org import rules
from bot.org.rules import Problem

NULL = "tag:yaml.org,2002:null"  # a key left empty


class FileProblems(Exception):
    """Every problem of a file, each "<file> line N: what is wrong"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def compose(text: str, source: str, error: type[FileProblems] = FileProblems) -> Node:
    """The file's YAML nodes; raises ``error`` when it is not YAML, or empty."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise error([f"{source}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if root is None:
        raise error([f"{source}: the file is empty"])
    return root


@dataclass
class Names:
    en: str
    zh: str | None


class Checker:
    """Walks YAML nodes (which know their line) and collects every problem instead of stopping at one."""

    def __init__(self, source: str, reader: Reader | None = None) -> None:
        self.source, self.reader = source, reader or Reader()
        self.problems: list[str] = []

    def fail(self, node: Node, message: str) -> None:
        self.problems.append(f"{self.source} line {node.start_mark.line + 1}: {message}")

    def mapping(self, node: Node, what: str, allowed: set[str],
                required: frozenset[str] | set[str] = frozenset()) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping of key: value")
            return None
        items: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in allowed:
                self.fail(key_node, f"unknown key {key!r} in {what} (expected one of: {', '.join(sorted(allowed))})")
            elif key in items:
                self.fail(key_node, f"{key!r} appears twice in {what}")
            else:
                items[key] = value_node
        for key in sorted(required - items.keys()):
            self.fail(node, f"{what} needs {key!r}")
        return items

    def problem(self, node: Node, what: str, problem: Problem | None) -> bool:
        """Report a shared rule's problem in the reader's language; True when there was none."""
        if problem is not None:
            self.fail(node, f"{what}: {problem.describe(self.reader)}")
        return problem is None

    def text(self, node: Node | None, what: str) -> str | None:
        if node is None:
            return None
        value = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        return value if self.problem(node, what, rules.name(value)) else None

    def checked(self, node: Node | None, what: str, rule: Callable[[str], Problem | None]) -> str | None:
        value = self.text(node, what)
        return value if value is not None and node is not None and self.problem(node, what, rule(value)) else None

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list (lines starting with '- ')")
            return []
        return list(node.value)

    def names(self, node: Node | None, what: str, owner: Node) -> Names | None:
        if node is None:
            self.fail(owner, f"{what} needs a name")
            return None
        if isinstance(node, ScalarNode):
            value = self.text(node, what)
            return Names(value, None) if value else None
        items = self.mapping(node, f"{what} name", {"en", "zh"}, {"en"})
        if items is None:
            return None
        en = self.text(items.get("en"), f"{what} English name")
        zh = self.text(items.get("zh"), f"{what} Chinese name")
        return Names(en, zh) if en else None


class ValueChecker(Checker):
    """The checker with the kinds of value the register and the question bank hold: texts in both languages,
    numbers, dates, yes or no, lists of words."""

    def scalar(self, node: Node | None, what: str) -> str:
        """The value as written, trimmed ("" when absent or empty)."""
        if node is None or (isinstance(node, ScalarNode) and node.tag == NULL):
            return ""
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{what} must be a single value")
            return ""
        return str(node.value).strip()

    def bilingual(self, node: Node | None, what: str) -> tuple[str, str]:
        if node is None:
            return "", ""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} is written in English and Chinese: {{en: ..., zh: ...}}")
            return "", ""
        items = self.mapping(node, what, {"en", "zh"}) or {}
        return self.scalar(items.get("en"), f"{what}.en"), self.scalar(items.get("zh"), f"{what}.zh")

    def number(self, node: Node | None, what: str) -> int | None:
        written = self.scalar(node, what)
        if node is None or not written:
            return None
        if not re.fullmatch(r"-?\d{1,6}", written):
            self.fail(node, f"{what} must be a whole number, not {written!r}")
            return None
        return int(written)

    def day(self, node: Node | None, what: str) -> date | None:
        written = self.scalar(node, what)
        if node is None or not written:
            return None
        try:
            return date.fromisoformat(written)
        except ValueError:
            self.fail(node, f"{what} must be a date written YYYY-MM-DD, not {written!r}")
            return None

    def flag(self, node: Node | None, what: str, default: bool) -> bool:
        written = self.scalar(node, what).lower()
        if node is None or not written:
            return default
        if written not in ("true", "false", "yes", "no"):
            self.fail(node, f"{what} must be true or false, not {written!r}")
        return written in ("true", "yes")

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        """A list; a key left empty is an empty one."""
        return [] if isinstance(node, ScalarNode) and node.tag == NULL else super().sequence(node, what)

    def words(self, node: Node | None, what: str) -> list[tuple[Node, str]]:
        """A list of single values, each with its node (a single value alone is a list of one)."""
        items = [node] if isinstance(node, ScalarNode) and node.tag != NULL else self.sequence(node, what)
        return [(item, value) for item in items if (value := self.scalar(item, what))]
