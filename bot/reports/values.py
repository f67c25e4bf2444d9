"""What the closed loop's buttons and forms carry (bot/values.py encodes and decodes them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from bot.values import RowRef, Value, json_object, record_id
from storage.models import ReportKind, Standard


@dataclass(frozen=True)
class ReportRef(RowRef):
    """The report a card's button or a triage form is about."""

    TAG = "r"


@dataclass(frozen=True)
class ActionRef(RowRef):
    """The corrective action an owner's or verifier's button or form is about."""

    TAG = "a"


@dataclass(frozen=True)
class Draft(Value):
    """A DM card's report as guessed: its words travel in the card itself (handlers/reports/cards.DRAFT_TEXT_BLOCK).
    ``words``: only in cards posted before, which carried them in the value."""

    TAG = "d"
    kind: ReportKind | None = None
    standards: tuple[Standard, ...] = ()
    location_id: int | None = None
    source: str = ""
    words: str | None = None

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        """``{"k": kind, "s": [standards], "l": location, "src": message, "d": words}``, each read leniently
        as it always was: what is not understood is left out."""
        old = json_object(raw)
        if old is None:
            return None
        kind, standards = old.get("k"), old.get("s")
        return cls(kind=ReportKind(kind) if kind in ReportKind._value2member_map_ else None,
                   standards=tuple(Standard(s) for s in standards if s in Standard._value2member_map_)
                   if isinstance(standards, list) else (),
                   location_id=record_id(old.get("l")),
                   source=str(old.get("src") or "")[:200],
                   words=str(old["d"]) if old.get("d") else None)


@dataclass(frozen=True)
class ReportFormMeta(Value):
    """The report form's private_metadata: the message it was started from, the channel it was started in."""

    TAG = "f"
    link: str | None = None
    channel: str | None = None

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        old = json_object(raw or "{}")
        if old is None:
            return None
        link, channel = old.get("link"), old.get("ch")
        return cls(link=link if isinstance(link, str) else None, channel=channel if isinstance(channel, str) else None)
