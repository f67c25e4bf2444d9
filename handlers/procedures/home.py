"""App Home: what the person must read (deadline first), an owner's overdue reviews, and the Procedures button."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.i18n import plain, text
from bot.org.people import Actor
from bot.procedures import acks, review, service
from bot.procedures.values import VersionRef
from bot.reports.timeline import due_datetime

HOME_LIMIT = 10


def waiting(session: Session, actor: Actor) -> list[dict[str, Any]]:
    reader, today = actor.reader, service.today(session)
    items = [{"text": text(reader, "procedures.home.item", code=a.version.procedure.code,
                           title=a.version.title(reader.lang), due=due_datetime(a.due_on), overdue=a.due_on < today),
              "button": {"action_id": "procedure_read", "value": VersionRef(a.version_id).encode(),
                         "label": plain(reader, "procedures.button.read")}}
             for a in acks.pending_of(session, actor)[:HOME_LIMIT]]
    for version in review.overdue(session, owner_id=actor.id, today=today)[:HOME_LIMIT]:
        assert version.review_by is not None
        items.append({"text": text(reader, "procedures.review.home", code=version.procedure.code,
                                   title=version.title(reader.lang), version=version.version,
                                   due=due_datetime(version.review_by)),
                      "button": {"action_id": "procedures_register", "value": VersionRef(version.id).encode(),
                                 "label": plain(reader, "procedures.button.register")}})
    return items


def buttons(actor: Actor) -> list[dict[str, Any]]:
    return [{"action_id": "procedures_home", "label": plain(actor.reader, "procedures.home.button")}]
