"""Every word exists in English and Simplified Chinese, and every text the code asks for exists."""
from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import Reader

ROOT = Path(__file__).resolve().parents[2]
KEY_USE = re.compile(r"""\b(?:t|p|text|plain)\(\s*(?:[a-z_]+\.reader|reader|actor\.reader|[a-z_]+,)?\s*"""
                     r"""["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_both_languages_have_the_same_texts():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    assert sorted(set(en) - set(zh)) == [], "texts only in English"
    assert sorted(set(zh) - set(en)) == [], "texts only in Chinese"


def test_chinese_texts_are_translated():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    not_words = r"`[^`]*`|\{\{.*?\}\}|\{%.*?%\}|ISO \d+|Triad|Slack|Home|English"
    untranslated = [k for k in en if en[k] == zh[k] and re.search(r"[A-Za-z]{4,}", re.sub(not_words, "", en[k]))]
    assert untranslated == []


def test_chinese_addresses_the_reader_as_nin_everywhere():
    """您, never 你: in the catalogues, the block templates and any Chinese the code itself writes (the sandbox too)."""
    informal = [k for k, v in i18n.catalog("zh").items() if "你" in v]
    informal += [str(path.relative_to(ROOT)) for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py"),
                                                          *ROOT.glob("prompts/**/*")]
                 if path.is_file() and "你" in path.read_text(encoding="utf-8").replace('"你好"', "")]  # greetings read
    assert informal == []


def test_every_text_the_code_uses_exists():
    known = set(i18n.catalog("en"))
    missing = []
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py"), *ROOT.glob("prompts/blocks/*.j2")]:
        for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
            if key not in known and not key.endswith("."):
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_text_renders(lang):
    """Each catalogue entry is a valid Jinja2 template (syntax errors show up here, not in front of a worker)."""
    for key in i18n.catalog(lang):
        i18n._compiled("mrkdwn", lang, key)


def test_variables_are_escaped_for_mrkdwn_but_the_bots_own_markup_is_not():
    reader = Reader("en")
    rendered = i18n.text(reader, "help.unknown", word="<!channel> <http://evil|click> & <@U1>")
    assert "<!channel>" not in rendered and "<http://evil" not in rendered and "<@U1>" not in rendered
    assert "&lt;!channel&gt; &lt;http://evil|click&gt; &amp; &lt;@U1&gt;" in rendered
    assert "<@U1>" in i18n.text(reader, "help.me.heading", name=i18n.safe("<@U1>"))


def test_dates_follow_the_readers_zone_and_language():
    from datetime import datetime

    moment = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    assert i18n.when(moment, Reader("zh", "Asia/Shanghai")) == "2026年11月24日 23:30"
    assert i18n.when(moment, Reader("en", "America/New_York", "en-US")) == "Nov 24, 2026, 10:30 AM"
    assert i18n.when(moment, Reader("en", "Europe/London", "en-GB")) == "24 Nov 2026, 15:30"


def test_locales_map_to_our_languages():
    assert i18n.language_for_locale("zh-CN") == "zh"
    assert i18n.language_for_locale("zh-TW") == "zh"
    assert i18n.language_for_locale("en-GB") == "en"
    assert i18n.language_for_locale(None, default="zh") == "zh"
