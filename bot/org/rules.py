"""The one set of checks for an organisation, shared by the organisation file and the set-up in Slack.

Each check returns None or a ``Problem``: a text key under ``setup.invalid`` with its values, so
the file names it in English with its line and Slack shows it inline, in the reader's language.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from bot.i18n import LANGUAGES, Reader, plain
from storage.models import Standard

NAME_MAX = 200
STANDARD_NAMES = {
    "quality": Standard.QUALITY, "iso9001": Standard.QUALITY,
    "environment": Standard.ENVIRONMENT, "iso14001": Standard.ENVIRONMENT,
    "safety": Standard.SAFETY, "iso45001": Standard.SAFETY,
}
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Problem:
    key: str  # <area>.<key>
    values: dict[str, Any] = field(default_factory=dict)
    area: str = "setup.invalid"  # the texts it is among: each domain's own (procedures.invalid)

    def describe(self, reader: Reader | None = None) -> str:
        """In the reader's language; English (the organisation file's) by default."""
        return plain(reader or Reader(), f"{self.area}.{self.key}", **self.values)


class Invalid(Exception):
    """Fields that need fixing, {field: Problem}; nothing was stored."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__(", ".join(f"{k}: {p.key}" for k, p in problems.items()))
        self.problems = problems


def name(value: str | None, *, required: bool = True) -> Problem | None:
    value = (value or "").strip()
    if not value:
        return Problem("name_missing") if required else None
    if len(value) > NAME_MAX:
        return Problem("name_long", {"limit": NAME_MAX, "length": len(value)})
    return None


def code(value: str) -> Problem | None:
    return None if CODE.match(value) else Problem("code", {"value": value})


def channel(value: str) -> Problem | None:
    return None if CHANNEL.match(value) else Problem("channel", {"value": value})


def user(value: str) -> Problem | None:
    return None if USER.match(value) else Problem("user", {"value": value})


def language(value: str) -> Problem | None:
    return None if value in LANGUAGES else Problem("language", {"value": value})


def timezone(value: str) -> Problem | None:
    return None if value in available_timezones() else Problem("timezone", {"value": value})


def working_hours(value: str) -> Problem | None:
    """Shifts such as ``mon-fri 08:00-17:00`` (bot/hours.py), or what in them cannot be read."""
    from bot.org.working_hours import problem

    return problem(value)


def standard(value: str) -> Problem | None:
    return None if value in STANDARD_NAMES else Problem("standard", {"value": value})


def known(kind: str, value: str, defined: Iterable[str]) -> Problem | None:
    """``value`` must be one of the defined codes of ``kind`` (department, site)."""
    defined = sorted(defined)
    if value in defined:
        return None
    return Problem(f"{kind}_unknown", {"value": value, "known": ", ".join(defined) or "-"})


def unique(kind: str, value: str, taken: Iterable[str]) -> Problem | None:
    """A code or a name may be used once per kind (department, site, location)."""
    folded = value.strip().casefold()
    return Problem(f"{kind}_twice", {"value": value}) if any(folded == t.strip().casefold() for t in taken) else None


def code_for(name_en: str, taken: Iterable[str], fallback: str = "item") -> str:
    """A code made from a name typed in Slack ("Paint shop" -> paint-shop; a name with no Latin letters
    -> ``fallback``), unique among ``taken``."""
    ascii_name = unicodedata.normalize("NFKD", name_en).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56] or fallback
    taken, candidate, n = set(taken), base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
