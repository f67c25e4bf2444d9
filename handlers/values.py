"""What Triad's buttons and forms carry through Slack and get back: each kind a frozen dataclass, encoded
and decoded here only.

A value is written ``<tag><version>:<JSON object>``, e.g. ``r1:{"id":42}``: fields left at their default
are left out, so values stay far under Slack's limits (2,000 characters a button value, 3,000 a view's
private_metadata). ``decode`` never raises: anything that is not a well-formed value of that kind (forged,
cut, another kind's) is None, and a listener given None does nothing. Every ``int`` field is a row id, so
a number no row can have never reaches a query.

Cards and forms already posted carry what was written before values were versioned (version 0): plain ids
("42"), ``{"r": 42}`` / ``{"a": 42}`` metadata, the draft card's JSON. Each kind reads its own in
``earlier``; a kind that changes shape bumps its VERSION and reads the versions before it there too.
"""
from __future__ import annotations

import json
import re
import types
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin, get_type_hints

from storage.models import ReportKind, Standard

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: anything larger cannot name a row
MAX_LENGTH = 3000  # Slack's private_metadata limit; a button value's is 2,000
_HEAD = re.compile(r"([a-z]+)(\d+):")
_HINTS: dict[type, dict[str, Any]] = {}


def record_id(value: Any) -> int | None:
    """An id we put in a value, if it still is one."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


@dataclass(frozen=True)
class Value:
    TAG: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def encode(self) -> str:
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) != f.default}
        return f"{self.TAG}{self.VERSION}:{json.dumps(data, ensure_ascii=False, separators=(',', ':'))}"

    @classmethod
    def decode(cls, raw: Any) -> Self | None:
        if not isinstance(raw, str) or len(raw) > MAX_LENGTH:
            return None
        head = _HEAD.match(raw)
        if head is None or head.group(1) != cls.TAG:
            return cls.earlier(raw)
        if int(head.group(2)) != cls.VERSION:
            return None
        data = _json(raw[head.end():])
        return None if data is _BAD else cls.build(data)

    @classmethod
    def build(cls, data: Any) -> Self | None:
        """The value from its fields as JSON gave them; None unless each is of its declared type."""
        if not isinstance(data, dict) or not set(data) <= {f.name for f in fields(cls)}:
            return None
        hints = _HINTS.get(cls) or _HINTS.setdefault(cls, get_type_hints(cls))  # resolving them is slow
        read = {}
        for f in fields(cls):
            if f.name not in data:
                if f.default is MISSING:
                    return None
                continue
            read[f.name] = _read(hints[f.name], data[f.name])
            if read[f.name] is _BAD:
                return None
        return cls(**read)

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        """A value written before this VERSION (version 0: before values were versioned)."""
        return None


# --- the reports' values ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row(Value):
    id: int

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        """A plain id (a button) or ``{TAG: id}`` (a form's private_metadata)."""
        found = record_id(raw) if raw.strip().isdigit() else None
        if found is None and (old := _json_object(raw)) is not None and isinstance(old.get(cls.TAG), int):
            found = record_id(old[cls.TAG])
        return cls(found) if found is not None else None


@dataclass(frozen=True)
class ReportRef(_Row):
    """The report a card's button or a triage form is about."""

    TAG = "r"


@dataclass(frozen=True)
class ActionRef(_Row):
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
        old = _json_object(raw)
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
        old = _json_object(raw or "{}")
        if old is None:
            return None
        link, channel = old.get("link"), old.get("ch")
        return cls(link=link if isinstance(link, str) else None, channel=channel if isinstance(channel, str) else None)


# --- set-up's values ---------------------------------------------------------------------------------

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
        old = _json_object(raw)
        if old is None:
            return None
        if "kind" in old:
            return cls.build(old)
        for key, kind in (("d", "department"), ("l", "location")):
            if key in old:
                return cls.build({"kind": kind, "id": old[key]})
        return None


# --- reading -------------------------------------------------------------------------------------------

_BAD: Any = object()


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # JSON nested past Python's limit raises the latter
        return _BAD


def _json_object(raw: str) -> dict[str, Any] | None:
    value = _json(raw)
    return value if isinstance(value, dict) else None


def _read(hint: Any, value: Any) -> Any:
    """``value`` as JSON gave it, as ``hint``; _BAD if it is not one."""
    if get_origin(hint) in (Union, types.UnionType):
        if value is None:
            return None if type(None) in get_args(hint) else _BAD
        (inner,) = (a for a in get_args(hint) if a is not type(None))
        return _read(inner, value)
    if get_origin(hint) is Literal:
        return value if isinstance(value, str) and value in get_args(hint) else _BAD
    if get_origin(hint) is tuple:
        if not isinstance(value, list):
            return _BAD
        items = tuple(_read(get_args(hint)[0], v) for v in value)
        return _BAD if any(i is _BAD for i in items) else items
    if hint is bool:
        return value if isinstance(value, bool) else _BAD
    if hint is int:
        return record_id(value) if isinstance(value, int) and record_id(value) is not None else _BAD
    if hint is str:
        return value if isinstance(value, str) else _BAD
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except (ValueError, TypeError):
            return _BAD
    raise TypeError(f"no reading for {hint!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
