"""Refusals the domain explains to a person: a text key and its values, rendered in their language."""
from __future__ import annotations

from typing import Any


class ReportError(Exception):
    """A request that changes nothing, with the reason as a text key (``reports.error.*``)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


class NotAllowed(ReportError):
    """The person may not press this; ``who`` is the text key naming who may."""

    def __init__(self, who: str) -> None:
        super().__init__("common.error.not_allowed", who=who)
        self.who = who


class InvalidInput(Exception):
    """Form fields that need fixing: {field: text key}; nothing was stored."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems
