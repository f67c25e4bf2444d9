"""Every word the bot says, in English and Simplified Chinese.

Texts live in ``prompts/<lang>/<area>.yml``: each value is a Jinja2 template, looked up as
``"<area>.<key>"``. Variables are escaped for mrkdwn unless marked ``safe`` (mentions, links and
date tokens the bot builds itself), so user text can never ping a channel or fake a link.
Block Kit surfaces are Jinja2 templates in ``prompts/blocks/`` (YAML), compiled once into builders
of data (bot.blocktemplate: no text is parsed per render); every ``{{ … }}`` in them is a whole value,
and their words come from the catalogues through ``t()``/``p()``.
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from jinja2 import Environment, StrictUndefined, Template, pass_context
from markupsafe import Markup

from bot import mrkdwn, shipped
from bot.blocktemplate import compile_template

LANGUAGES = ("en", "zh")
PROMPTS = shipped.path("prompts")
log = logging.getLogger(__name__)

safe = Markup  # marks text the bot built itself (mentions, links) as already safe for mrkdwn

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Reader:
    """Who reads a text: their language and time zone."""

    lang: str = "en"
    tz: str = "UTC"
    locale: str | None = None  # Slack's, e.g. en-GB, to pick a regional date format


def language_for_locale(locale: str | None, default: str = "en") -> str:
    if not locale:
        return default
    return "zh" if locale.lower().startswith("zh") else "en"


@cache
def catalog(lang: str) -> dict[str, str]:
    from bot import domains  # the list imports every domain, and every domain texts

    texts: dict[str, str] = {}
    for folder in (PROMPTS, *(d.prompts for d in domains.DOMAINS if d.prompts is not None)):
        for path in sorted((folder / lang).glob("*.yml")):
            _flatten(path.stem, yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}, texts)
    return texts


def forget_texts() -> None:
    """Read the texts again (the list of domains changed)."""
    catalog.cache_clear()
    _compiled.cache_clear()


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}", value, out)
    else:
        out[prefix] = str(node)


def _escape_unless_safe(value: Any) -> Any:
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    return mrkdwn.escape(value)


def _babel_locale(reader: Reader) -> Locale:
    if reader.lang == "zh":
        return Locale.parse("zh_Hans_CN")
    try:
        return Locale.parse(reader.locale or "en_US", sep="-" if reader.locale and "-" in reader.locale else "_")
    except Exception:
        return Locale.parse("en_US")


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(dt: datetime, reader: Reader) -> str:
    """A date and time in the reader's time zone and language, without seconds."""
    local = dt.astimezone(zone(reader.tz))
    if reader.lang == "zh":
        return format_datetime(local, "yyyy年M月d日 HH:mm", locale=_babel_locale(reader))
    locale = _babel_locale(reader)
    moment = f"{format_date(local, 'medium', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    return moment.replace("\u202f", " ")


def day(dt: datetime, reader: Reader) -> str:
    return format_date(dt.astimezone(zone(reader.tz)), "medium", locale=_babel_locale(reader))


def slack_date(dt: datetime, reader: Reader) -> Markup:
    """A date token Slack shows in each reader's own time zone; the fallback is the writer's reader."""
    return Markup(f"<!date^{int(dt.timestamp())}^{{date_short_pretty}} {{time}}|{mrkdwn.escape(when(dt, reader))}>")


def _make_env(finalize: Callable[[Any], Any]) -> Environment:
    # No trim_blocks here: in a text, the newline after {% endif %} is part of what the reader sees.
    env = Environment(finalize=finalize, undefined=StrictUndefined, autoescape=False)
    env.filters["when"] = pass_context(lambda ctx, dt: when(dt, ctx["_reader"]))
    env.filters["day"] = pass_context(lambda ctx, dt: day(dt, ctx["_reader"]))
    env.filters["slackdate"] = pass_context(lambda ctx, dt: slack_date(dt, ctx["_reader"]))
    return env


def _plain_value(value: Any) -> Any:
    return "" if value is None else value


# Chinese templates mark where each value starts and ends, so that only the template's own spaces are tidied.
_VALUE_START, _VALUE_END = "\x02", "\x03"
_VALUE = re.compile(f"{_VALUE_START}(.*?){_VALUE_END}", re.DOTALL)
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"  # Han, CJK and full-width punctuation
_STRAY_SPACE = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


def _marked(finalize: Callable[[Any], Any]) -> Callable[[Any], str]:
    def mark(value: Any) -> str:
        shown = str(finalize(value)).replace(_VALUE_START, "").replace(_VALUE_END, "")
        return f"{_VALUE_START}{shown}{_VALUE_END}"
    return mark


def _tidy_chinese(rendered: str) -> str:
    """Drop the spaces a template leaves between two Chinese characters. Around a value they are right
    for numbers, Latin words, mentions and *bold* (Slack needs them), and stray when the value is Chinese
    itself (张伟 提交了 → 张伟提交了). The values' own spaces (what people wrote) are kept as they are."""
    pieces = _VALUE.split(rendered)  # even: the template's own text; odd: a value
    tidied = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            before = pieces[i - 1][-1:] if i else ""
            after = pieces[i + 1][:1] if i + 1 < len(pieces) else ""
            piece = _STRAY_SPACE.sub("", before + piece + after)[len(before):]
            piece = piece[: len(piece) - len(after)] if after else piece
        tidied.append(piece)
    return "".join(tidied)


_ENVS = {
    ("mrkdwn", False): _make_env(_escape_unless_safe),
    ("plain", False): _make_env(_plain_value),
    ("mrkdwn", True): _make_env(_marked(_escape_unless_safe)),
    ("plain", True): _make_env(_marked(_plain_value)),
}


@lru_cache(maxsize=4096)
def _compiled(kind: str, lang: str, key: str) -> Template | str:
    """A text's template, or the text itself when it has no Jinja in it (most button and field labels)."""
    source = catalog(lang).get(key)
    if source is None:
        if lang != "en" and key in catalog("en"):
            log.warning("text %s missing in %s; using English", key, lang)
            source = catalog("en")[key]
        else:
            raise KeyError(f"no text {key!r} in prompts/{lang}")
    if "{" not in source:
        return (_tidy_chinese(source) if lang == "zh" else source).strip()
    return _ENVS[kind, lang == "zh"].from_string(source)


def _render_text(kind: str, reader: Reader, key: str, values: dict[str, Any]) -> str:
    compiled = _compiled(kind, reader.lang, key)
    if isinstance(compiled, str):
        return compiled
    rendered = str(compiled.render(_reader=reader, **values))
    return (_tidy_chinese(rendered) if reader.lang == "zh" else rendered).strip()


def text(reader: Reader, key: str, **values: Any) -> Markup:
    """A mrkdwn text: variables are escaped unless marked ``safe``."""
    return Markup(_render_text("mrkdwn", reader, key, values))


def plain(reader: Reader, key: str, **values: Any) -> str:
    """A plain_text text (titles, buttons, options): shown literally by Slack, so nothing to escape."""
    return _render_text("plain", reader, key, values)


def shortened(reader: Reader, value: str, limit: int, where: str | None = None) -> Markup:
    """What someone wrote, at most ``limit`` characters of it for a line; when cut, the line says so and, given
    ``where`` (a channel, a command), where the whole text is. Escaped for mrkdwn."""
    value = str(value)
    if len(value) <= limit:
        return Markup(mrkdwn.escape(value))
    return Markup(mrkdwn.escape(value[:limit].rstrip())) + text(reader, "common.shortened", where=where)


def split_text(value: str, limit: int) -> list[str]:
    """A long text as pieces that each fit a section, split at a line or a space: nothing is cut."""
    pieces, rest = [], str(value)
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces + [rest]


def listed(reader: Reader, items: Iterable[str]) -> str:
    """Items in a reader's list style: "Quality, Safety", "质量、安全"."""
    return catalog(reader.lang).get("common.list_separator", ", ").join(items)  # as written: not stripped


# --- Block Kit templates -------------------------------------------------------------------

def _json_literal(value: Any) -> str:
    return json.dumps(value if not isinstance(value, Markup) else str(value), ensure_ascii=False, default=str)


_blocks_env = Environment(finalize=_json_literal, undefined=StrictUndefined, autoescape=False,
                          trim_blocks=True, lstrip_blocks=True)
_blocks_env.filters["tr"] = pass_context(lambda ctx, key: text(ctx["reader"], key))  # list of keys -> texts


@cache
def _block_template(name: str) -> Callable[[dict[str, Any]], Any]:
    return compile_template((PROMPTS / "blocks" / f"{name}.yml.j2").read_text(encoding="utf-8"), _blocks_env, name)


def truncate(value: str, limit: int) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def chunked(lines: list[str], limit: int = 2900) -> list[str]:
    """Join lines into texts that each fit one section (3000 characters), never splitting a line."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return chunks + ([current] if current else [])


def render(name: str, reader: Reader, **context: Any) -> dict[str, Any]:
    """Render ``prompts/blocks/<name>.yml.j2`` for a reader into Python data (a view or message)."""
    helpers = {
        "t": lambda key, **kw: text(reader, key, **kw),
        "p": lambda key, **kw: plain(reader, key, **kw),
        "esc": mrkdwn.escape,
        "plain": lambda s, limit=None: {"type": "plain_text", "text": truncate(s, limit) if limit else str(s),
                                        "emoji": True},
        "md": lambda s: {"type": "mrkdwn", "text": str(s)},
        "option": lambda label, value, limit=75: {
            "text": {"type": "plain_text", "text": truncate(label, limit), "emoji": True}, "value": str(value)},
        "truncate": truncate,
        "split_text": split_text,
        "chunked": chunked,
        "when": lambda dt: when(dt, reader),
        "slack_date": lambda dt: slack_date(dt, reader),
        "lang": reader.lang,
        "reader": reader,
    }
    surface: dict[str, Any] = _block_template(name)({**helpers, **context})
    return surface


# --- one message for readers of several languages ------------------------------------------------

PLAIN_TEXT_MAX = 75  # a button's or an option's text; other places are given below
_PLAIN_TEXT_LIMITS = {"header": 150}
_CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
SHORT_LINE = 40  # lines this short are joined on one line: "*Risk* / *风险*"
MRKDWN_MAX = 2000  # a section field's limit, the smallest place a merged text goes


def merged(surfaces: list[dict[str, Any]]) -> dict[str, Any]:
    """One message for a channel whose readers read several languages: the same surface rendered for each
    language (the first is the organisation's), with each text in every language, once where they agree;
    ids, values and structure as in the first. A text that would grow past Slack's limit stays in the first."""
    one: dict[str, Any] = _merge(list(surfaces), PLAIN_TEXT_MAX)
    return one


def _merge(values: list[Any], plain_limit: int) -> Any:
    first = values[0]
    if len(values) == 1 or any(type(v) is not type(first) for v in values):
        return first
    if isinstance(first, list):
        if any(len(v) != len(first) for v in values):
            return first
        return [_merge(list(items), plain_limit) for items in zip(*values, strict=True)]
    if not isinstance(first, dict):
        return first
    if first.get("type") in ("plain_text", "mrkdwn") and isinstance(first.get("text"), str):
        texts = [str(v.get("text", "")) for v in values]
        joined = _merge_plain(texts, plain_limit) if first["type"] == "plain_text" else _merge_mrkdwn(texts)
        return {**first, "text": joined}
    result: dict[str, Any] = {}
    for key, value in first.items():
        others = [v.get(key) for v in values]
        if key == "text" and isinstance(value, str):  # a message's own text, or the notification of its blocks
            result[key] = value if "blocks" in first else _merge_mrkdwn([str(o) for o in others])
        elif key == "confirm" and isinstance(value, dict):
            result[key] = {k: _merge([o.get(k) if isinstance(o, dict) else None for o in others],
                                     _CONFIRM_LIMITS.get(k, PLAIN_TEXT_MAX)) for k in value}
        else:
            result[key] = _merge(others, _PLAIN_TEXT_LIMITS.get(str(first.get("type")), plain_limit))
    return result


def _joined(parts: list[str]) -> str:
    """Parts that differ, joined once: "HZ-2026-0001 · 隐患 / Hazard" (the start they share is not repeated).
    Parts with the same number of " · " pieces are joined piece by piece, so that what they share anywhere
    is shown once: "🟠 High / 较大风险（橙色） · 3 × 4"."""
    unique = list(dict.fromkeys(parts))
    if len(unique) == 1:
        return unique[0]
    pieces = [part.split(" · ") for part in unique]
    if len(pieces[0]) > 1 and all(len(each) == len(pieces[0]) for each in pieces):
        return " · ".join(_joined(list(piece)) for piece in zip(*pieces, strict=True))
    shared = os.path.commonprefix(unique)
    shared = shared[: shared.rfind(" ") + 1]  # whole words only
    return shared + " / ".join(part[len(shared):] for part in unique)


def _merge_plain(texts: list[str], limit: int) -> str:
    joined = _joined(texts)
    return joined if len(joined) <= limit else texts[0]


def _merge_mrkdwn(texts: list[str]) -> str:
    unique = list(dict.fromkeys(texts))
    if len(unique) == 1:
        return unique[0]
    lines = [text.split("\n") for text in unique]
    if any(len(each) != len(lines[0]) for each in lines):
        joined = "\n".join(unique)
    else:
        out: list[str] = []
        for parts in zip(*lines, strict=True):
            distinct = list(dict.fromkeys(parts))
            out += [_joined(distinct)] if all(len(p) <= SHORT_LINE for p in distinct) else distinct
        joined = "\n".join(out)
    return joined if len(joined) <= MRKDWN_MAX else unique[0]
