"""A domain announces what happened; the Slack side decides how it is shown.

``announce(session, event)`` calls every subscriber of the event's type at once, with the same session, so
the messages they owe are written to the outbox in the transaction of the change that owes them. The
subscribers are each domain's Slack side (``SlackSide.notices``, found through bot/domains.py on first use),
so every process that runs domain code (web, clock, sandbox, CLI) shows what happened the same way.

An event nobody shows is a mistake, not a choice: ``announce`` raises, and the change that announced it is
rolled back with it, rather than leaving someone never told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


class Event:
    """What happened, as plain values (ids, not rows): one frozen dataclass per kind, in bot/<domain>/events.py."""


@dataclass(frozen=True)
class Dm:
    """A direct message a domain decided to send: to whom, under which outbox key (its idempotency), and
    held until when (None: at once)."""

    person_id: int
    key: str
    not_before: datetime | None = None


class Unheard(LookupError):
    """No Slack side shows this kind of event."""


def announce(session: Session, event: Event) -> None:
    from bot import domains  # every domain imports this module; the list of domains imports them all

    notices = domains.notices().get(type(event))
    if not notices:
        raise Unheard(f"nothing shows {type(event).__name__}: add it to a SlackSide's notices")
    for notice in notices:
        notice(session, event)
