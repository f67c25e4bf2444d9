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
