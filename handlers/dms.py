"""What every Slack side's notices share: the rows an event names, and the direct messages a domain decided to
send (bot.events.Dm), written to the outbox in the reader's own language, under the key and at the time the
domain chose."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot import outbox
from bot.events import Dm
from bot.i18n import Reader
from bot.org import people
from storage.models import Person

Row = TypeVar("Row")


def row(session: Session, model: type[Row], row_id: int) -> Row:
    """A row an event names: it exists, the event was announced in this very unit of work."""
    found = session.get(model, row_id)
    assert found is not None
    return found


def person(session: Session, person_id: int) -> Person:
    return row(session, Person, person_id)


def reader_of(session: Session, someone: Person) -> Reader:
    return people.actor_of(someone, people.organisation(session)).reader


def reader_for(session: Session, to: Dm) -> Reader:
    return reader_of(session, person(session, to.person_id))


def send(session: Session, to: Dm, message: dict[str, Any]) -> None:
    outbox.post(session, to.key, person(session, to.person_id).slack_user_id, message, not_before=to.not_before)
