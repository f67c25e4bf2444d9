"""Block Kit and mrkdwn as readable terminal text, for the sandbox console.

Pure functions: a message or view (as the emulator stores it) goes in, a list of lines comes
out. Interactive elements get numbers from a shared ``Numbering`` so that one screen can show
several surfaces and ``press 3`` still means one thing.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import zip_longest
from typing import Any

from bot.i18n import Reader, plain
from sandbox.emulator import PERMALINK_HOST
from sandbox.forms import option_pairs

_CODES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "reverse": "7", "strike": "9", "red": "31",
          "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36"}

# The shortcodes Triad's texts use, and a few common ones; others stay as :name:.
EMOJI = {
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "red_circle": "🔴", "large_orange_circle": "🟠",
    "large_yellow_circle": "🟡", "large_green_circle": "🟢", "large_blue_circle": "🔵", "rotating_light": "🚨",
    "new": "🆕", "mag": "🔍",
    "eyes": "👀", "no_entry_sign": "🚫", "memo": "📝", "hourglass_flowing_sand": "⏳", "hammer_and_wrench": "🛠️",
    "alarm_clock": "⏰", "hourglass": "⌛", "pencil2": "✏️", "warning": "⚠️", "droplet": "💧", "ambulance": "🚑",
    "bell": "🔔", "camera": "📷",
    "calendar": "📅", "speech_balloon": "💬", "clipboard": "📋", "construction": "🚧", "fire": "🔥", "lock": "🔒",
    "wave": "👋", "tada": "🎉", "+1": "👍", "thumbsup": "👍", "point_right": "👉", "information_source": "ℹ️",
    "arrow_right": "➡️", "link": "🔗", "bust_in_silhouette": "👤", "paperclip": "📎",
    "pencil": "📝", "blue_book": "📘", "arrows_counterclockwise": "🔄", "mega": "📣",
}
OPTION_LISTS = frozenset({"static_select", "multi_static_select", "overflow", "checkboxes", "radio_buttons"})
# Input elements the console can fill, each with a "sandbox.field.<type>" text saying how.
FIELD_KINDS = frozenset({
    "plain_text_input", "plain_text_input_multiline", "number_input", "email_text_input", "url_text_input",
    "rich_text_input", "static_select", "radio_buttons", "multi_static_select", "checkboxes", "datepicker",
    "timepicker", "datetimepicker", "users_select", "multi_users_select", "conversations_select",
    "channels_select", "multi_conversations_select", "multi_channels_select", "file_input",
})


@dataclass(frozen=True)
class Context:
    """Who reads, how names show for them, and what the terminal can do."""

    reader: Reader
    users: Mapping[str, str] = field(default_factory=dict)  # user id -> name in the reader's language
    channels: Mapping[str, str] = field(default_factory=dict)  # channel id -> name
    me: str | None = None  # mentions of this user stand out
    colour: bool = False
    width: int = 100
    # A file Triad shared in a DM, written where the person can open it: the path shown, or None (not one of those).
    saved_file: Callable[[Mapping[str, Any]], str | None] = lambda shared: None

    def style(self, text: str, *names: str) -> str:
        if not self.colour or not text:
            return text
        return f"\x1b[{';'.join(_CODES[n] for n in names)}m{text}\x1b[0m"

    def word(self, key: str, **values: Any) -> str:
        """A console text (prompts/<lang>/sandbox.yml), its `commands` styled."""
        return mrkdwn(plain(self.reader, f"sandbox.{key}", **values), self)


@dataclass(frozen=True)
class Control:
    """A numbered interactive element and the message or view it belongs to."""

    number: int
    block: dict[str, Any]
    element: dict[str, Any]
    source: dict[str, Any]


class Numbering:
    """Hands out numbers to the interactive elements of one screen."""

    def __init__(self) -> None:
        self.controls: dict[int, Control] = {}

    def add(self, block: dict[str, Any], element: dict[str, Any], source: dict[str, Any]) -> int:
        number = len(self.controls) + 1
        self.controls[number] = Control(number, block, element, source)
        return number


@dataclass(frozen=True)
class Fields:
    """What a modal's inputs hold now, as text, and the app's errors, by block_id."""

    shown: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


# -- mrkdwn ----------------------------------------------------------------------------------------

_CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
_SPANS = ((re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), "bold"),
          (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), "italic"),
          (re.compile(r"(?<![\w~])~(?=\S)(.+?)(?<=\S)~(?![\w~])"), "strike"))
_HOLE = re.compile("\x00(\\d+)\x00")


def mrkdwn(text: str, ctx: Context) -> str:
    """Slack mrkdwn as terminal text. Escaped user text (``&lt;!channel&gt;``) shows literally as typed."""
    holes: list[str] = []

    def hole(rendered: str) -> str:  # set aside, so that formatting never reaches inside
        holes.append(rendered)
        return f"\x00{len(holes) - 1}\x00"

    text = _CODE_BLOCK.sub(lambda m: hole(ctx.style(m.group(1).strip("\n"), "cyan")), text)
    text = _INLINE_CODE.sub(lambda m: hole(ctx.style(m.group(1), "cyan")), text)
    text = _ANGLE.sub(lambda m: hole(_angle(m.group(1), ctx)), text)
    text = emoji(text)
    for pattern, style in _SPANS:
        text = pattern.sub(partial(_styled, ctx=ctx, style=style), text)
    text = _HOLE.sub(lambda m: holes[int(m.group(1))], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # last: user text as typed


def _styled(match: re.Match[str], *, ctx: Context, style: str) -> str:
    return ctx.style(match.group(1), style)


def emoji(text: str) -> str:
    return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _angle(token: str, ctx: Context) -> str:
    """One ``<…>`` token: a mention, a channel, a special mention, a date or a link."""
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return _mention(target[1:], ctx, fallback=label)
    if target.startswith("#"):
        return ctx.style("#" + ctx.channels.get(target[1:], label or target[1:]), "bold", "blue")
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!subteam^"):
        return ctx.style(label or "@team", "bold", "blue")
    if target.startswith("!"):
        return ctx.style("@" + target[1:], "bold", "yellow")
    url = target.removeprefix("mailto:")
    if label and url.startswith(PERMALINK_HOST + "/"):  # a file or message in this Slack: its name says enough
        return ctx.style(label, "underline")
    if label and label != url:
        return f"{ctx.style(label, 'underline')} ({url})"
    return ctx.style(url, "underline")


def _mention(user: str, ctx: Context, fallback: str = "") -> str:
    name = "@" + ctx.users.get(user, fallback or user)
    return ctx.style(name, "bold", "yellow", "reverse") if user == ctx.me else ctx.style(name, "bold", "blue")


def text_object(obj: Any, ctx: Context) -> str:
    """A Block Kit text object (plain_text or mrkdwn) as terminal text."""
    if not isinstance(obj, Mapping):
        return str(obj or "")
    raw = str(obj.get("text") or "")
    return mrkdwn(raw, ctx) if obj.get("type") == "mrkdwn" else emoji(raw)


# -- blocks ----------------------------------------------------------------------------------------

def blocks(items: Any, ctx: Context, numbering: Numbering, source: dict[str, Any],
           fields: Fields | None = None) -> list[str]:
    """The lines of a list of blocks; interactive elements are numbered, inputs shown as fields."""
    lines: list[str] = []
    for block in items if isinstance(items, list) else []:
        if isinstance(block, dict):
            lines += _block(block, ctx, numbering, source, fields or Fields())
    return lines


def _block(block: dict[str, Any], ctx: Context, numbering: Numbering, source: dict[str, Any],
           fields: Fields) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [ctx.style(text_object(block.get("text"), ctx), "bold", "underline")]
    if kind == "section":
        lines = _text_lines(block.get("text"), ctx)
        lines += _columns([text_object(item, ctx) for item in block.get("fields") or []], ctx)
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            lines.append(_image(accessory, ctx) if accessory.get("type") == "image"
                         else _element(block, accessory, ctx, numbering, source))
        return lines
    if kind == "context":
        parts = [_image(e, ctx) if e.get("type") == "image" else text_object(e, ctx)
                 for e in block.get("elements") or [] if isinstance(e, dict)]
        return [ctx.style(line, "dim") for line in " · ".join(parts).split("\n")]
    if kind == "divider":
        return [ctx.style("─" * min(ctx.width, 48), "dim")]
    if kind == "image":
        return [_image(block, ctx)]
    if kind == "actions":
        items = [e for e in block.get("elements") or [] if isinstance(e, dict)]
        return _packed([_element(block, e, ctx, numbering, source) for e in items], ctx.width)
    if kind == "input":
        return _field(block, ctx, numbering, source, fields)
    if kind == "rich_text":
        return _rich_text(block.get("elements") or [], ctx)
    if kind == "file":
        return ["📎 " + str(block.get("external_id") or block.get("file_id") or "")]
    if kind == "video":
        return ["🎬 " + text_object(block.get("title"), ctx)]
    return [ctx.style(f"[{kind}]", "dim")]


def _text_lines(obj: Any, ctx: Context) -> list[str]:
    return text_object(obj, ctx).split("\n") if obj else []


def _columns(texts: list[str], ctx: Context) -> list[str]:
    """Section fields two by two, side by side as Slack shows them (one column on a narrow terminal)."""
    half = (ctx.width - 2) // 2
    if half < 30:
        return [line for text in texts for line in text.split("\n")]
    lines = []
    for left, right in zip_longest(texts[::2], texts[1::2], fillvalue=""):
        pairs = zip_longest(wrap(left.split("\n"), half), wrap(right.split("\n"), half) if right else [], fillvalue="")
        lines += [a + " " * (half + 2 - display_width(a)) + b if b else a for a, b in pairs]
    return lines


def _packed(controls: list[str], width: int) -> list[str]:
    """Controls side by side, as many per line as fit."""
    lines: list[str] = []
    for control in controls:
        if lines and display_width(lines[-1]) + 2 + display_width(control) <= width:
            lines[-1] += "  " + control
        else:
            lines.append(control)
    return lines


def _image(obj: dict[str, Any], ctx: Context) -> str:
    title = text_object(obj.get("title"), ctx) if obj.get("title") else ""
    return "📷 " + (title or str(obj.get("alt_text") or ""))


def _element(block: dict[str, Any], item: dict[str, Any], ctx: Context, numbering: Numbering,
            source: dict[str, Any]) -> str:
    """An interactive element on one line, e.g. ``[3] Assess risk`` or ``[4] ▾ Assign to (1 Li Na · 2 Chen Jie)``."""
    number = ctx.style(f"[{numbering.add(block, item, source)}]", "bold")
    kind = str(item.get("type"))
    if kind == "button":
        label = text_object(item.get("text"), ctx)
        colour = {"primary": "green", "danger": "red"}.get(str(item.get("style")))
        label = ctx.style(label, "bold", colour) if colour else ctx.style(label, "bold")
        return f"{number} {label}" + (" ↗" if item.get("url") else "")
    placeholder = text_object(item.get("placeholder"), ctx)
    initial = _initial_text(item, ctx)
    icon = {"overflow": "⋯", "datepicker": "📅", "timepicker": "⏰", "datetimepicker": "📅",
            "checkboxes": "☑", "radio_buttons": "◉"}.get(kind, "▾")
    parts = [number, icon, initial or placeholder]
    if kind in OPTION_LISTS:
        parts.append(f"({option_list(item, ctx)})")
    return " ".join(p for p in parts if p)


def option_list(item: dict[str, Any], ctx: Context) -> str:
    """``1 Hazard · 2 Near miss``: the numbers that ``set`` and ``press`` accept."""
    pairs = enumerate(option_pairs(item), 1)
    return " · ".join(f"{ctx.style(str(n), 'bold')} {emoji(label)}" for n, (label, _) in pairs)


def _option_lines(item: dict[str, Any], ctx: Context) -> list[str]:
    """A field's options on one line, or one per line when they are long or contain the separator."""
    pairs = option_pairs(item) if item.get("type") in OPTION_LISTS else []
    if not pairs:
        return []
    inline = option_list(item, ctx)
    if display_width(inline) <= ctx.width - 4 and not any(" · " in label for label, _ in pairs):
        return [inline]
    return [f"{ctx.style(f'{n:>2}', 'bold')}  {emoji(label)}" for n, (label, _) in enumerate(pairs, 1)]


def _initial_text(item: dict[str, Any], ctx: Context) -> str:
    """What an element shows before anyone touches it."""
    if item.get("initial_option"):
        return text_object(item["initial_option"].get("text"), ctx)
    if item.get("initial_options"):
        return ", ".join(text_object(o.get("text"), ctx) for o in item["initial_options"])
    if item.get("initial_user"):
        return _mention(str(item["initial_user"]), ctx)
    if item.get("initial_users"):
        return ", ".join(_mention(str(u), ctx) for u in item["initial_users"])
    for key in ("initial_date", "initial_time", "initial_value", "initial_channel", "initial_conversation"):
        if isinstance(item.get(key), (str, int, float)) and str(item[key]):
            return str(item[key])
    return ""


def _field(block: dict[str, Any], ctx: Context, numbering: Numbering, source: dict[str, Any],
           fields: Fields) -> list[str]:
    """An input block: number and label, what it takes, its value, hint and error."""
    item = block.get("element") or {}
    block_id = str(block.get("block_id"))
    number = numbering.add(block, item, source)
    label = ctx.style(text_object(block.get("label"), ctx), "bold")
    takes = ctx.word("field.takes", what=_takes(item, ctx), optional=bool(block.get("optional")))
    lines = [f"{ctx.style(f'[{number}]', 'bold')} {label}  {ctx.style(takes, 'dim')}"]
    lines += ["    " + line for line in _option_lines(item, ctx)]
    shown = emoji(fields.shown.get(block_id) or _initial_text(item, ctx))
    value = ctx.style(shown, "green") if shown else ctx.style("—", "dim")
    lines += [f"    ▸ {line}" if i == 0 else f"      {line}" for i, line in enumerate(value.split("\n"))]
    if block.get("hint"):
        lines.append("    " + ctx.style(text_object(block["hint"], ctx), "dim"))
    if block_id in fields.errors:
        lines.append("    " + ctx.style("⚠ " + fields.errors[block_id], "bold", "red"))
    return lines


def _takes(item: dict[str, Any], ctx: Context) -> str:
    """What a field takes and how to type it, e.g. ``choose one`` or ``a date, YYYY-MM-DD``."""
    kind = str(item.get("type"))
    if kind == "plain_text_input" and item.get("multiline"):
        kind = "plain_text_input_multiline"
    if kind not in FIELD_KINDS:
        return ctx.word("field.other", kind=kind)
    return ctx.word(f"field.{kind}", types=", ".join(item.get("filetypes") or []), count=len(option_pairs(item)))


def _rich_text(elements: list[Any], ctx: Context) -> list[str]:
    lines: list[str] = []
    for part in elements:
        kind = part.get("type")
        if kind == "rich_text_list":
            ordered = part.get("style") == "ordered"
            for n, item in enumerate(part.get("elements") or [], 1):
                lines.append(("  " * int(part.get("indent") or 0)) + (f"{n}. " if ordered else "• ")
                             + _rich_inline(item.get("elements") or [], ctx))
        elif kind == "rich_text_preformatted":
            lines += ctx.style(_rich_inline(part.get("elements") or [], ctx), "cyan").split("\n")
        elif kind == "rich_text_quote":
            lines += ["│ " + line for line in _rich_inline(part.get("elements") or [], ctx).split("\n")]
        else:
            lines += _rich_inline(part.get("elements") or [], ctx).split("\n")
    return lines


def _rich_inline(items: list[Any], ctx: Context) -> str:
    out = []
    for item in items:
        kind = item.get("type")
        if kind == "text":
            styles = [name for name in ("bold", "italic", "strike") if (item.get("style") or {}).get(name)]
            styles += ["cyan"] if (item.get("style") or {}).get("code") else []
            out.append(ctx.style(str(item.get("text") or ""), *styles) if styles else str(item.get("text") or ""))
        elif kind == "link":
            out.append(_angle(f"{item.get('url')}|{item.get('text') or ''}".rstrip("|"), ctx))
        elif kind == "user":
            out.append(_mention(str(item.get("user_id")), ctx))
        elif kind == "channel":
            out.append(_angle("#" + str(item.get("channel_id")), ctx))
        elif kind == "emoji":
            code = str(item.get("unicode") or "")
            out.append("".join(chr(int(part, 16)) for part in code.split("-")) if code
                       else EMOJI.get(str(item.get("name")), f":{item.get('name')}:"))
        elif kind == "broadcast":
            out.append(ctx.style("@" + str(item.get("range")), "bold", "yellow"))
        elif kind == "date":
            out.append(str(item.get("fallback") or item.get("timestamp")))
    return "".join(out)


# -- surfaces --------------------------------------------------------------------------------------

def message_body(message: dict[str, Any], ctx: Context, numbering: Numbering) -> list[str]:
    """A message's content: its blocks (or its text), attachments, files and reactions."""
    lines = blocks(message.get("blocks"), ctx, numbering, message) if message.get("blocks") else []
    if not lines and message.get("text"):
        lines = mrkdwn(str(message["text"]), ctx).split("\n")
    for attachment in message.get("attachments") or []:
        inner = blocks(attachment.get("blocks"), ctx, numbering, message)
        for key in ("pretext", "title", "text", "fallback"):
            if not inner and attachment.get(key):
                inner = mrkdwn(str(attachment[key]), ctx).split("\n")
        lines += [ctx.style("▎", "dim") + line for line in inner]
    for shared in message.get("files") or []:
        saved = ctx.saved_file(shared)
        lines.append(ctx.word("file_saved", name=shared.get("name"), size=file_size(int(shared.get("size") or 0)),
                              path=saved) if saved else f"📎 {shared.get('title') or shared.get('name')}")
    reactions = [f"{EMOJI.get(r['name'], ':' + r['name'] + ':')} {r['count']}" for r in message.get("reactions") or []]
    if reactions:
        lines.append(ctx.style("  ".join(reactions), "dim"))
    return lines


def file_size(size: int) -> str:
    """42 KB, 1.3 MB, 512 B: how a file's size reads beside its name."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def preview(message: dict[str, Any], ctx: Context, limit: int) -> str:
    """A message on one line of at most ``limit`` columns: its notification text, else its first blocks."""
    raw = str(message.get("text") or "")
    text = mrkdwn(raw, ctx) if raw else " ".join(message_body(message, ctx, Numbering())[:3])
    text = " ".join(text.split())
    limit = max(20, limit)
    return text if display_width(text) <= limit else _cut(text, limit - 1) + "…"


def modal(view: dict[str, Any], ctx: Context, numbering: Numbering, fields: Fields) -> list[str]:
    """A modal in a box: title, blocks with numbered fields, and how to submit or cancel."""
    inner = replace(ctx, width=ctx.width - 2)
    title = text_object(view.get("title"), ctx)
    bar = ctx.style("│", "dim")
    rule = ctx.style("─" * max(3, 40 - display_width(title)), "dim")
    lines = [ctx.style("╭─ ", "dim") + ctx.style(title, "bold") + " " + rule]
    lines += [f"{bar} {line}" for line in wrap(blocks(view.get("blocks"), inner, numbering, view, fields), inner.width)]
    actions = []
    if view.get("submit"):
        actions.append(ctx.word("modal.submit", label=text_object(view["submit"], ctx)))
    close = text_object(view.get("close"), ctx) or ctx.word("modal.default_close")
    actions.append(ctx.word("modal.cancel", label=close))
    lines.append(ctx.style("╰─ ", "dim") + ctx.style(" · ".join(actions), "dim"))
    return lines


# -- width-aware wrapping: ANSI codes take no room, CJK characters take two columns ----------------

_PIECE = re.compile(r"\x1b\[[0-9;]*m| +|[^ \x1b]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_BREAK_BEFORE = frozenset("，。、：；！？）」』》】〉")  # Chinese punctuation never starts a line
_HANGING = re.compile(r"(?:\[\d+\] |• |\d+\. |▸ |⚠ |▎)")


def display_width(text: str) -> int:
    return sum(_char_width(c) for c in _ANSI.sub("", text))


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(lines: list[str], width: int) -> list[str]:
    """Wrap each line to ``width`` columns; continuation lines keep the indent (and hang after a marker)."""
    out: list[str] = []
    for line in lines:
        out += _wrap_line(line, max(width, 20))
    return out


def _wrap_line(line: str, width: int) -> list[str]:
    if display_width(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    marker = _HANGING.match(_ANSI.sub("", line[indent:]))
    hang = " " * min(width // 2, indent + (display_width(marker.group()) if marker else 0))
    out: list[str] = []
    current, used, space = line[:indent], indent, ""
    for unit in _units(line[indent:]):
        if unit.startswith(" "):
            space = unit
            continue
        size = display_width(unit)
        if used + len(space) + size > width and used > len(hang):
            out.append(current)
            current, used, space = hang, len(hang), ""
        while used + len(space) + size > width:  # longer than a whole line: cut it
            head = _cut(unit, width - used - len(space))
            out.append(current + space + head)
            unit, current, used, space = unit[len(head):], hang, len(hang), ""
            size = display_width(unit)
        current += space + unit
        used += len(space) + size
        space = ""
    return out + [current]


def _units(text: str) -> list[str]:
    """Pieces a line may break between: words, runs of spaces, single wide characters.

    ANSI codes stick to the piece they touch, so a break never separates a style from its text.
    """
    units: list[str] = []
    joinable = False  # a narrow character continues the last unit
    for piece in _PIECE.findall(text):
        last = units[-1] if units and not units[-1].startswith(" ") else None
        if piece.startswith(" "):
            units.append(piece)
            joinable = False
        elif piece.startswith("\x1b"):
            if last is None:
                units.append(piece)
                joinable = True
            else:
                units[-1] += piece
        elif _char_width(piece) == 2:
            if last is not None and (display_width(last) == 0 or piece in _NO_BREAK_BEFORE or _chinese_name(last)):
                units[-1] += piece
            else:
                units.append(piece)
            joinable = False
        elif joinable and last is not None:
            units[-1] += piece
        else:
            units.append(piece)
            joinable = True
    return units


def _chinese_name(unit: str) -> bool:
    """``@`` and the Chinese characters after it so far: a mention such as @李娜, kept whole."""
    plain = _ANSI.sub("", unit)
    return plain.startswith("@") and all(_char_width(c) == 2 and c not in _NO_BREAK_BEFORE for c in plain[1:])


def _cut(text: str, width: int) -> str:
    """The longest start of ``text`` that fits ``width`` columns (ANSI codes kept whole)."""
    used, end = 0, 0
    for match in _PIECE.finditer(text):
        size = display_width(match.group())
        if used + size > width:
            break
        used, end = used + size, match.end()
    return text[:end] or text[:1]
