"""How the organisation's announcements are shown (bot/org/events.py): an administrator asked, with the button
to the set-up page, to choose where reports go."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.events import Event
from bot.i18n import render
from bot.org.events import ChannelAsked
from handlers import dms


def channel_asked(session: Session, event: ChannelAsked) -> None:
    dms.send(session, event.to, render("setup_ask", dms.reader_for(session, event.to), reference=event.reference,
                                       days=event.days, count=event.count))


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {ChannelAsked: channel_asked}
