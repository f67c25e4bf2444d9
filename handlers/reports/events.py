"""A direct message in plain words becomes a pre-filled report card to confirm or edit; never filed unasked.

Every message that says something gets a card, understood or not (the card then asks the kind):
a report must never be lost because Triad did not know the words. Greetings and thanks get the
help answer instead.
"""
from __future__ import annotations

import re

from bot import outbox
from bot.org.people import Actor
from bot.reports import service
from bot.runtime import Runtime
from handlers.reports import cards

SMALL_TALK = frozenset({"hi", "hello", "hey", "thanks", "thank you", "ok", "okay", "help", "test",
                        "你好", "您好", "嗨", "谢谢", "好的", "好", "帮助", "测试"})


def report_from_dm(runtime: Runtime, actor: Actor, event: dict) -> bool:
    words = (event.get("text") or "").strip()
    if not says_something(words):
        return False
    with runtime.db.session() as s:
        guess = service.guess(s, words)
        source = f"{event.get('channel')}:{event.get('ts')}"
        outbox.post(s, f"draft:{source}", actor.slack_user_id, cards.draft_card(s, actor.reader, words, guess, source))
    return True


def says_something(words: str) -> bool:
    """Not empty, not only emoji or punctuation, not a greeting."""
    bare = re.sub(r":[a-z0-9_+-]+:|[^\w\s]", " ", words.lower()).strip()
    return bool(bare) and " ".join(bare.split()) not in SMALL_TALK
