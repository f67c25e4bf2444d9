"""How the evidence domain's announcements are shown (bot/evidence/events.py): a break in the chain and the
weekly head to the administrators, a back-dated burst to the system owners; each a DM in the reader's language."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from bot.events import Event
from bot.evidence.events import BackdatingBurst, ChainBroken, HeadPublished
from bot.i18n import Reader, text
from handlers import dms


def chain_broken(session: Session, event: ChainBroken) -> None:
    reader = dms.reader_for(session, event.to)
    lines = [_break_line(reader, kind, seq, entry) for kind, seq, entry in event.breaks]
    dms.send(session, event.to, {"text": text(reader, "evidence.alert.broken", count=event.count,
                                              lines=Markup("\n").join(lines), more=event.count - len(lines))})


def _break_line(reader: Reader, kind: str, seq: int | None, entry: int | None) -> Markup:
    return text(reader, "evidence.alert.break_line", kind=text(reader, f"evidence.break.{kind}"), seq=seq,
                entry=entry)


def head_published(session: Session, event: HeadPublished) -> None:
    reader = dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(reader, "evidence.alert.head", seq=event.seq, hash=event.hash,
                                              at=event.at)})


def backdating_burst(session: Session, event: BackdatingBurst) -> None:
    reader = dms.reader_for(session, event.to)
    dms.send(session, event.to, {"text": text(reader, "evidence.alert.burst", count=event.count, since=event.since,
                                              until=event.until, days=event.days)})


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {
    ChainBroken: chain_broken, HeadPublished: head_published, BackdatingBurst: backdating_burst}
