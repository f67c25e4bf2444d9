"""Every word the bot says, in English and Simplified Chinese.

Texts live in ``prompts/<lang>/<area>.yml``: each value is a Jinja2 template, looked up as
``"<area>.<key>"``. Variables are escaped for mrkdwn unless marked ``safe`` (mentions, links and
date tokens the bot builds itself), so user text can never ping a channel or fake a link.
Block Kit surfaces are Jinja2 templates in ``prompts/blocks/`` (YAML); every ``{{ … }}`` in them
is emitted as a JSON literal, and their words come from the catalogues through ``t()``/``p()``.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
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
    texts: dict[str, str] = {}
    for path in sorted((PROMPTS / lang).glob("*.yml")):
        _flatten(path.stem, yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}, texts)
    return texts


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


_mrkdwn_env = _make_env(_escape_unless_safe)
_plain_env = _make_env(lambda v: "" if v is None else v)


@lru_cache(maxsize=4096)
def _compiled(kind: str, lang: str, key: str) -> Template:
    source = catalog(lang).get(key)
    if source is None:
        if lang != "en" and key in catalog("en"):
            log.warning("text %s missing in %s; using English", key, lang)
            source = catalog("en")[key]
        else:
            raise KeyError(f"no text {key!r} in prompts/{lang}")
    return (_mrkdwn_env if kind == "mrkdwn" else _plain_env).from_string(source)


def text(reader: Reader, key: str, **values: Any) -> Markup:
    """A mrkdwn text: variables are escaped unless marked ``safe``."""
    return Markup(_compiled("mrkdwn", reader.lang, key).render(_reader=reader, **values).strip())


def plain(reader: Reader, key: str, **values: Any) -> str:
    """A plain_text text (titles, buttons, options): shown literally by Slack, so nothing to escape."""
    return str(_compiled("plain", reader.lang, key).render(_reader=reader, **values)).strip()


# --- Block Kit templates -------------------------------------------------------------------

def _json_literal(value: Any) -> str:
    return json.dumps(value if not isinstance(value, Markup) else str(value), ensure_ascii=False, default=str)


_blocks_env = Environment(finalize=_json_literal, undefined=StrictUndefined, autoescape=False,
                          trim_blocks=True, lstrip_blocks=True)
_blocks_env.filters["tr"] = pass_context(lambda ctx, key: text(ctx["reader"], key))  # list of keys -> texts


@cache
def _block_template(name: str) -> Template:
    return _blocks_env.from_string((PROMPTS / "blocks" / f"{name}.yml.j2").read_text(encoding="utf-8"))


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
        "chunked": chunked,
        "when": lambda dt: when(dt, reader),
        "slack_date": lambda dt: slack_date(dt, reader),
        "lang": reader.lang,
        "reader": reader,
    }
    source = _block_template(name).render(**helpers, **context)
    surface: dict[str, Any] = yaml.load(source, Loader=_Loader)
    return surface
