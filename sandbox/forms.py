"""Typed text to Block Kit input values, and back, for the sandbox console.

``parse`` turns what a person types after ``set 3`` (or ``press 3``) into the value the driver
sends for that element: option values, user ids, file ids, dates. ``describe`` shows a value as
the person would read it in Slack. Both are pure; uploading a file goes through a callback.
"""
from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.i18n import zone

TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "rich_text_input"})
ONE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
MANY_OPTIONS = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
ONE_USER, MANY_USERS = frozenset({"users_select"}), frozenset({"multi_users_select"})
ONE_CHANNEL = frozenset({"conversations_select", "channels_select"})
MANY_CHANNELS = frozenset({"multi_conversations_select", "multi_channels_select"})
_LIST_SEPARATOR = re.compile(r"\s*[,，、]\s*")
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")  # an emoji as Slack writes it: :large_yellow_circle:
_LEADING_SYMBOLS = re.compile(r"^[^\w]+")
_RELATIVE_DAY = re.compile(r"([+-]\d{1,3})d")
RELATIVE_DAYS = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "yesterday": -1, "昨天": -1}  # and +3d, -14d


class FieldError(ValueError):
    """What the person typed does not fit the field; ``key`` names a ``sandbox.error.*`` text."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Directory:
    """How typed names map to Slack ids, and how ids read for the person at the keyboard."""

    handles: Mapping[str, str]  # demo handle -> user id
    user_names: Mapping[str, str]  # user id -> name
    channels: Mapping[str, str]  # channel id -> name
    tz: str = "UTC"
    today: date | None = None  # by the sandbox clock, in the person's zone: what `tomorrow` and `+3d` count from


def parse(item: Mapping[str, Any], typed: str, directory: Directory, upload: Callable[[str], dict[str, Any]]) -> Any:
    """The driver's value for ``item`` from ``typed``; ``upload(name)`` stores a file and returns it, as Slack
    hands files over."""
    kind, typed = str(item.get("type")), typed.strip()
    if kind in TEXT_INPUTS:
        return _text(item, typed)
    if kind == "number_input":
        return _number(item, typed)
    if kind in ONE_OPTION:
        return _option(item, typed)
    if kind in MANY_OPTIONS:
        return [_option(item, part) for part in _items(typed)]
    if kind == "datepicker":
        return _date(typed, directory.today).isoformat()
    if kind == "timepicker":
        return _time(typed).strftime("%H:%M")
    if kind == "datetimepicker":
        return _datetime(typed, directory)
    if kind in ONE_USER:
        return _user(typed, directory)
    if kind in MANY_USERS:
        return [_user(part, directory) for part in _items(typed)]
    if kind in ONE_CHANNEL:
        return _channel(typed, directory)
    if kind in MANY_CHANNELS:
        return [_channel(part, directory) for part in _items(typed)]
    if kind == "file_input":
        return _files(item, typed, upload)
    raise FieldError("cannot_fill", kind=kind)


def describe(item: Mapping[str, Any], value: Any, directory: Directory) -> str:
    """A value as Slack would show it in the field."""
    kind = str(item.get("type"))
    if kind in ONE_OPTION:
        return _label(item, value)
    if kind in MANY_OPTIONS:
        return ", ".join(_label(item, v) for v in value)
    if kind in ONE_USER | MANY_USERS:
        return ", ".join("@" + directory.user_names.get(u, u) for u in ([value] if isinstance(value, str) else value))
    if kind in ONE_CHANNEL | MANY_CHANNELS:
        return ", ".join("#" + directory.channels.get(c, c) for c in ([value] if isinstance(value, str) else value))
    if kind == "file_input":
        return ", ".join("📎 " + str(f.get("name")) for f in value)
    if kind == "datetimepicker":
        return datetime.fromtimestamp(int(value), zone(directory.tz)).strftime("%Y-%m-%d %H:%M")
    return str(value)


def option_pairs(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of every option, groups flattened, in the order shown."""
    found = list(item.get("options") or [])
    for group in item.get("option_groups") or []:
        found += group.get("options") or []
    return [(str((o.get("text") or {}).get("text") or ""), str(o.get("value"))) for o in found]


def has_initial(item: Mapping[str, Any]) -> bool:
    return any(item.get(key) not in (None, "", []) for key in item if str(key).startswith("initial_"))


def placeholder_image() -> bytes:
    """A small PNG (a 16x16 grey square) standing in for a photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x99\x99\x99" * 16 for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# -- one kind each ---------------------------------------------------------------------------------

def _items(typed: str) -> list[str]:
    return [part for part in _LIST_SEPARATOR.split(typed) if part]


def _text(item: Mapping[str, Any], typed: str) -> str:
    value = typed.replace("\\n", "\n") if item.get("multiline") else typed
    if item.get("max_length") and len(value) > int(item["max_length"]):
        raise FieldError("too_long", limit=int(item["max_length"]))
    if item.get("min_length") and len(value) < int(item["min_length"]):
        raise FieldError("too_short", limit=int(item["min_length"]))
    return value


def _number(item: Mapping[str, Any], typed: str) -> str:
    decimal = bool(item.get("is_decimal_allowed"))
    if not re.fullmatch(r"-?\d+(\.\d+)?" if decimal else r"-?\d+", typed):
        raise FieldError("not_a_decimal" if decimal else "not_a_whole_number")
    low, high = item.get("min_value"), item.get("max_value")
    if (low is not None and float(typed) < float(low)) or (high is not None and float(typed) > float(high)):
        raise FieldError("out_of_range", low=low if low is not None else "", high=high if high is not None else "")
    return typed


def _option(item: Mapping[str, Any], typed: str) -> str:
    """An option by its number, its label (with or without its emoji) or its value, or by the unique start of
    its label."""
    pairs = option_pairs(item)
    if typed.isdigit() and 1 <= int(typed) <= len(pairs):
        return pairs[int(typed) - 1][1]
    wanted, bare_wanted = typed.casefold(), _bare(typed)
    labels = [(label.casefold(), _bare(label), value) for label, value in pairs]
    for label, bare, value in labels:
        if wanted in (label, value.casefold()) or (bare_wanted and bare_wanted == bare):
            return value
    starting = {value for label, bare, value in labels
                if label.startswith(wanted) or (bare_wanted and bare.startswith(bare_wanted))}
    if wanted and len(starting) == 1:
        return starting.pop()
    raise FieldError("no_option", typed=typed, count=len(pairs))


def _bare(label: str) -> str:
    """A label without the emoji it starts with (``:large_green_circle: Low`` and ``🟢 Low`` are ``low``)."""
    return _LEADING_SYMBOLS.sub("", _SHORTCODE.sub("", label)).casefold()


def _label(item: Mapping[str, Any], value: str) -> str:
    return next((label for label, v in option_pairs(item) if v == value), value)


def _date(typed: str, today: date | None) -> date:
    """``2026-03-01``, or (so that a replayed script keeps working on any day) ``today``, ``tomorrow``, ``+3d``,
    ``yesterday``, ``-14d``."""
    relative = _RELATIVE_DAY.fullmatch(typed)
    days = int(relative.group(1)) if relative else RELATIVE_DAYS.get(typed.casefold())
    if days is not None and today is not None:
        return today + timedelta(days=days)
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise FieldError("not_a_date") from None


def _time(typed: str) -> time:
    try:
        return time.fromisoformat(typed if len(typed) > 4 else typed.zfill(5))
    except ValueError:
        raise FieldError("not_a_time") from None


def _datetime(typed: str, directory: Directory) -> int:
    day, _, clock = typed.partition(" ")
    moment = datetime.combine(_date(day, directory.today), _time(clock.strip() or "00:00"), zone(directory.tz))
    return int(moment.timestamp())


def _user(typed: str, directory: Directory) -> str:
    if typed.removeprefix("@") in directory.user_names:  # an id, as Slack's own payloads have it
        return typed.removeprefix("@")
    wanted = typed.removeprefix("@").casefold()
    if wanted in directory.handles:
        return directory.handles[wanted]
    matches = sorted({user for handle, user in directory.handles.items() if handle.startswith(wanted)}
                     | {user for user, name in directory.user_names.items() if name.casefold().startswith(wanted)})
    if wanted and len(matches) == 1:
        return matches[0]
    raise FieldError("no_user", typed=typed, handles=", ".join(directory.handles))


def _channel(typed: str, directory: Directory) -> str:
    wanted = typed.removeprefix("#").casefold()
    for channel, name in directory.channels.items():
        if wanted in (name.casefold(), channel.casefold()):
            return channel
    raise FieldError("no_channel", typed=typed, channels=", ".join("#" + n for n in directory.channels.values()))


def _files(item: Mapping[str, Any], typed: str, upload: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    names = _items(typed)
    allowed = [t.lower() for t in item.get("filetypes") or []]
    for name in names:
        if allowed and name.rpartition(".")[2].lower() not in allowed:
            raise FieldError("file_type", name=name, types=", ".join(allowed))
    if len(names) > int(item.get("max_files") or 10):
        raise FieldError("too_many_files", limit=int(item.get("max_files") or 10))
    return [upload(name) for name in names]
