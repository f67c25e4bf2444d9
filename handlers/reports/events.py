"""A direct message in plain words becomes a pre-filled report card to confirm or edit; never filed unasked."""
from __future__ import annotations

from sqlalchemy import select

from bot import outbox
from bot.org.people import Actor
from bot.reports import cards, kinds
from bot.runtime import Runtime
from storage.models import Location


def report_from_dm(runtime: Runtime, actor: Actor, event: dict) -> bool:
    words = (event.get("text") or "").strip()
    if not words:
        return False
    with runtime.db.session() as s:
        places = [kinds.Place(loc.id, kinds.place_names(loc.code, loc.name_en, loc.name_zh))
                  for loc in s.scalars(select(Location))]
        guess = kinds.guess(words, places)
        if guess.kind is None:
            return False
        source = f"{event.get('channel')}:{event.get('ts')}"
        outbox.post(s, f"draft:{source}", actor.slack_user_id, cards.draft_card(s, actor.reader, words, guess, source))
    return True
