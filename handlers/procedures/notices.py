"""How what happens to procedures is shown (bot/procedures/events.py), written to the outbox in the step's own
transaction: the DM cards (many at once when a version is published), a card settled once acknowledged, superseded
or retired, reminders, escalations, review dates, and the publisher's receipt."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.events import Dm, Event
from bot.i18n import LANGUAGES, Reader, merged, plain, render, text
from bot.org import people
from bot.procedures import events, service
from bot.procedures.values import CoverageRef, VersionRef
from bot.reports.timeline import due_datetime
from handlers import dms
from handlers.procedures import cards
from storage.models import Acknowledgment, Department, Organisation, Person, ProcedureVersion

ITEMS_SHOWN = 15  # people or procedures listed in one DM (a message has 50 blocks)


def reader_of(person: Person, org: Organisation) -> Reader:
    """A person's reader without their roles: a card for each of 5,000 people must not load 5,000 role lists."""
    return Reader(lang=people.language_of(person, org), tz=person.timezone or org.timezone, locale=person.slack_locale)


def _rows(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), 1000):
        found.update((row.id, row) for row in session.scalars(select(model).where(
            model.id.in_(listed[start:start + 1000]))))
    return found


def cards_owed(session: Session, event: events.CardsOwed) -> None:
    """Each card rendered once per kind of reader (language, locale, zone), revision and deadline: the same words
    for hundreds of people are made once."""
    version = dms.row(session, ProcedureVersion, event.version_id)
    org = people.organisation(session)
    acks = _rows(session, Acknowledgment, {c.ack_id for c in event.cards})
    persons = _rows(session, Person, {c.to.person_id for c in event.cards})
    earlier = _rows(session, ProcedureVersion, {c.since for c in event.cards if c.since})
    made: dict[tuple[Any, ...], dict[str, Any]] = {}
    posts = []
    for owed in event.cards:
        person, ack = persons[owed.to.person_id], acks[owed.ack_id]
        reader = reader_of(person, org)
        unknown = person.language_override is None and person.slack_locale is None  # never seen: both languages
        kind = (unknown or reader.lang, reader.locale, reader.tz, owed.since, ack.due_on, ack.reason)
        if kind not in made:
            since = earlier.get(owed.since) if owed.since else None
            readers = [replace(reader, lang=lang) for lang in _languages(org)] if unknown else [reader]
            made[kind] = merged([cards.card(r, version, ack, since=since) for r in readers])
        posts.append((owed.to.key, person.slack_user_id, made[kind], owed.to.not_before))
        if owed.replaces:
            _supersede_card(session, owed.replaces, version, reader)
    outbox.post_many(session, posts)


def _supersede_card(session: Session, key: str, current: ProcedureVersion, reader: Reader) -> None:
    """The card of a version since superseded: withdrawn if it has not gone out, else its buttons go."""
    if outbox.withdraw(session, key):
        return
    words = str(text(reader, "procedures.card.superseded_by", code=current.procedure.code, version=current.version))
    outbox.update(session, f"{key}:superseded", key,
                  {"text": words, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": words}}]})


def _languages(org: Organisation) -> list[str]:
    """The organisation's language first, then the other: a card for someone whose language Triad does not know."""
    return [org.language, *(lang for lang in LANGUAGES if lang != org.language)]


def card_offered(session: Session, event: events.CardOffered) -> None:
    version = dms.row(session, ProcedureVersion, event.version_id)
    ack = dms.row(session, Acknowledgment, event.card.ack_id)
    since = session.get(ProcedureVersion, event.card.since) if event.card.since else None
    reader = dms.reader_for(session, event.card.to)
    if event.superseded:
        dms.send(session, Dm(event.card.to.person_id, f"{event.card.to.key}:note"),
                 {"text": text(reader, "procedures.card.offered_superseded", old=event.superseded)})
    dms.send(session, event.card.to, cards.card(reader, version, ack, since=since))


def _settle_card(session: Session, ack: Acknowledgment, version: ProcedureVersion, state: str, settled: str,
                 reader: Reader) -> None:
    """The card's buttons go: a card not yet sent (held for working hours) is withdrawn instead."""
    if ack.card_key is None or outbox.withdraw(session, ack.card_key):
        return
    outbox.update(session, f"{ack.card_key}:{state}", ack.card_key, cards.card(
        reader, version, ack, since=None, state=state, settled=settled))


def acknowledged(session: Session, event: events.Acknowledged) -> None:
    ack = dms.row(session, Acknowledgment, event.ack_id)
    version = dms.row(session, ProcedureVersion, event.version_id)
    reader = dms.reader_of(session, dms.person(session, event.person_id))
    assert ack.acknowledged_at is not None
    _settle_card(session, ack, version, "acknowledged", str(text(
        reader, "procedures.card.acknowledged", version=version.version, at=ack.acknowledged_at)), reader)


def retired(session: Session, event: events.Retired) -> None:
    version = dms.row(session, ProcedureVersion, event.version_id)
    org = people.organisation(session)
    acks = _rows(session, Acknowledgment, set(event.ack_ids))
    persons = _rows(session, Person, {a.person_id for a in acks.values()})
    for ack in acks.values():
        reader = reader_of(persons[ack.person_id], org)
        _settle_card(session, ack, version, "retired", str(text(reader, "procedures.card.retired")), reader)


def published(session: Session, event: events.PublishedNotice) -> None:
    if event.to is None:
        return
    version = dms.row(session, ProcedureVersion, event.version_id)
    reader = dms.reader_for(session, event.to)
    key = "first" if event.first else "major" if event.major else "minor"
    dms.send(session, event.to, {"text": text(reader, f"procedures.published.{key}", code=version.procedure.code,
                                              version=version.version, asked=event.asked)})


def _message(reader: Reader, fallback: str, sections: list[dict[str, Any]],
             buttons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return render("procedure_list", reader, modal=False, fallback=fallback, sections=sections, buttons=buttons or [],
                  title="", metadata=None)


def read_button(reader: Reader, version_id: int) -> dict[str, Any]:
    return {"action_id": "procedure_read", "value": VersionRef(version_id).encode(),
            "label": plain(reader, "procedures.button.read")}


def reminded(session: Session, event: events.Reminded) -> None:
    reader = dms.reader_for(session, event.to)
    acks = sorted(_rows(session, Acknowledgment, set(event.ack_ids)).values(), key=lambda a: (a.due_on, a.id))
    today = service.today(session)
    items = [{"text": str(text(reader, "procedures.remind.item", code=a.version.procedure.code,
                               title=a.version.title(reader.lang), version=a.version.version,
                               due=due_datetime(a.due_on), overdue=a.due_on < today)),
              "button": read_button(reader, a.version_id)} for a in acks[:ITEMS_SHOWN]]
    if event.nudged_by is not None:
        who = dms.person(session, event.nudged_by).name(reader.lang)
        heading = str(text(reader, "procedures.remind.nudged", who=who, count=len(acks)))
    else:
        heading = str(text(reader, "procedures.remind.text", count=len(acks)))
    footer = str(text(reader, "procedures.mine.more", count=len(acks) - ITEMS_SHOWN)) if len(acks) > ITEMS_SHOWN else ""
    dms.send(session, event.to, _message(reader, heading, [{"heading": heading, "entries": items, "footer": footer}]))


def escalated(session: Session, event: events.Escalated) -> None:
    reader = dms.reader_for(session, event.to)
    acks = sorted(_rows(session, Acknowledgment, set(event.ack_ids)).values(), key=lambda a: (a.due_on, a.id))
    persons = _rows(session, Person, {a.person_id for a in acks})
    departments = {d.id: d for d in session.scalars(select(Department))}
    lines = []
    for ack in acks[:ITEMS_SHOWN]:
        person = persons[ack.person_id]
        department = departments.get(person.department_id) if person.department_id else None
        lines.append(str(text(reader, "procedures.escalate.item", person=person.name(reader.lang),
                              department=department.name(reader.lang) if department else None,
                              code=ack.version.procedure.code, title=ack.version.title(reader.lang),
                              due=due_datetime(ack.due_on))))
    if len(acks) > ITEMS_SHOWN:
        lines.append(str(text(reader, "procedures.escalate.more", count=len(acks) - ITEMS_SHOWN)))
    heading = str(text(reader, f"procedures.escalate.{event.level}", count=len(acks)))
    department_ids = {persons[a.person_id].department_id for a in acks}
    nudge = CoverageRef(department=department_ids.pop()) if len(department_ids) == 1 and None not in department_ids \
        else CoverageRef()
    buttons = [{"action_id": "procedure_nudge", "value": nudge.encode(), "style": "primary",
                "label": plain(reader, "procedures.button.nudge")},
               {"action_id": "procedures_coverage", "value": nudge.encode(),
                "label": plain(reader, "procedures.button.coverage")}]
    dms.send(session, event.to, _message(reader, heading, [{"heading": heading, "entries": [{"text": "\n".join(lines)}],
                                                             "footer": ""}], buttons))


def review_due(session: Session, event: events.ReviewDue) -> None:
    version = dms.row(session, ProcedureVersion, event.version_id)
    reader = dms.reader_for(session, event.to)
    assert version.review_by is not None
    words = str(text(reader, "procedures.review.before" if event.days >= 0 else "procedures.review.overdue",
                     code=version.procedure.code, title=version.title(reader.lang), version=version.version,
                     due=due_datetime(version.review_by), days=event.days))
    dms.send(session, event.to, _message(reader, words, [{"heading": words, "entries": [], "footer": ""}], [
        {"action_id": "procedures_register", "value": VersionRef(version.id).encode(),
         "label": plain(reader, "procedures.button.register")}]))


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {
    events.CardsOwed: cards_owed, events.CardOffered: card_offered, events.Acknowledged: acknowledged,
    events.Retired: retired, events.PublishedNotice: published, events.Reminded: reminded,
    events.Escalated: escalated, events.ReviewDue: review_due,
}
