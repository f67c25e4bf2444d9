"""What the set-up page's menus and forms carry (bot/values.py encodes and decodes them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self

from bot.values import Value, json_object, record_id


@dataclass(frozen=True)
class SetupItem(Value):
    """The department or location a set-up form edits or removes (a form for a new one carries none),
    or the set-up page's menu beside it offers to."""

    TAG = "s"
    kind: Literal["department", "location"]
    id: int
    remove: bool = False

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        """``{"d": id}``, ``{"l": id}`` (edit forms), ``{"kind": kind, "id": id}`` (the remove form) or
        ``edit:department:3`` / ``remove:location:7`` (the menu)."""
        what, _, rest = raw.partition(":")
        kind, _, item = rest.partition(":")
        if what in ("edit", "remove") and record_id(item) is not None:
            return cls.build({"kind": kind, "id": record_id(item), "remove": what == "remove"})
        old = json_object(raw)
        if old is None:
            return None
        if "kind" in old:
            return cls.build(old)
        for key, kind in (("d", "department"), ("l", "location")):
            if key in old:
                return cls.build({"kind": kind, "id": old[key]})
        return None


@dataclass(frozen=True)
class SetupPart(Value):
    """The part of the set-up page a button opens the form of: one of its sections ("general", "triage",
    "working_hours", …: each Slack side names its own) or a new "department" or "location"."""

    TAG = "p"
    part: str

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        """The part's bare name, as pages drawn before values were versioned carry it."""
        return cls(raw) if raw.isidentifier() and raw.islower() else None
