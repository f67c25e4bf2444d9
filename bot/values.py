"""What Triad's buttons and forms carry through Slack and get back, encoded and decoded here only.

Each kind is a frozen dataclass of its domain (bot/reports/values.py, bot/org/values.py), where both the
Slack side and the messages bot/ still sends reach it. A value is written ``<tag><version>:<JSON object>``,
e.g. ``r1:{"id":42}``: fields left at their default are left out, so values stay far under Slack's limits
(2,000 characters a button value, 3,000 a view's private_metadata). ``decode`` never raises: anything that
is not a well-formed value of that kind (forged, cut, another kind's) is None, and a listener given None
does nothing. Every ``int`` field is a row id, so a number no row can have never reaches a query.

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


@dataclass(frozen=True)
class RowRef(Value):
    """A row named by its id; ``earlier`` reads a plain id (a button) or ``{TAG: id}`` (private_metadata)."""

    id: int

    @classmethod
    def earlier(cls, raw: str) -> Self | None:
        found = record_id(raw) if raw.strip().isdigit() else None
        if found is None and (old := json_object(raw)) is not None and isinstance(old.get(cls.TAG), int):
            found = record_id(old[cls.TAG])
        return cls(found) if found is not None else None


# --- reading -------------------------------------------------------------------------------------------

_BAD: Any = object()


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # JSON nested past Python's limit raises the latter
        return _BAD


def json_object(raw: str) -> dict[str, Any] | None:
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
