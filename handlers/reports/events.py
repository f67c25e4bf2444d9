"""A direct message in plain words becomes a pre-filled report card to confirm or edit; never filed unasked."""
from __future__ import annotations

from bot import outbox
from bot.org.people import Actor
from bot.reports import cards, service
from bot.runtime import Runtime


def report_from_dm(runtime: Runtime, actor: Actor, event: dict) -> bool:
    words = (event.get("text") or "").strip()
    if not words:
        return False
    with runtime.db.session() as s:
        guess = service.guess(s, words)
        if guess.kind is None:
            return False
        source = f"{event.get('channel')}:{event.get('ts')}"
        outbox.post(s, f"draft:{source}", actor.slack_user_id, cards.draft_card(s, actor.reader, words, guess, source))
    return True
