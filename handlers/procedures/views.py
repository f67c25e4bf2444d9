"""What /procedures shows: the person's own procedures (to read, deadline first; acknowledged), and for owners and
managers the way to coverage and the register."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.i18n import plain, render, text
from bot.org.people import Actor
from bot.procedures import acks, permissions, service
from bot.procedures.values import CoverageRef, VersionRef
from bot.reports.timeline import due_datetime

SHOWN = 20


def mine(session: Session, actor: Actor) -> dict[str, Any]:
    reader, today = actor.reader, service.today(session)
    pending, done = acks.pending_of(session, actor), acks.acknowledged_by(session, actor)
    to_read = [{"text": str(text(reader, "procedures.mine.item", code=a.version.procedure.code,
                                 title=a.version.title(reader.lang), version=a.version.version,
                                 due=due_datetime(a.due_on), overdue=a.due_on < today)),
                "button": {"action_id": "procedure_read", "value": VersionRef(a.version_id).encode(),
                           "label": plain(reader, "procedures.button.read")}} for a in pending[:SHOWN]]
    read = [{"text": str(text(reader, "procedures.mine.done_item", code=a.version.procedure.code,
                              title=a.version.title(reader.lang), version=a.version.version, at=a.acknowledged_at,
                              renew=due_datetime(a.renew_on) if a.renew_on else None))} for a in done[:SHOWN]]
    def more(listed: list[Any]) -> str:
        return str(text(reader, "procedures.mine.more", count=len(listed) - SHOWN)) if len(listed) > SHOWN else ""
    sections = [
        {"heading": str(text(reader, "procedures.mine.to_read")), "footer": more(pending),
         "entries": to_read or [{"text": str(text(reader, "procedures.mine.nothing_to_read"))}]},
        {"heading": str(text(reader, "procedures.mine.acknowledged")), "footer": more(done),
         "entries": read or [{"text": str(text(reader, "procedures.mine.none_acknowledged"))}]},
    ]
    buttons = []
    if permissions.may_see_coverage(actor):
        buttons.append({"action_id": "procedures_coverage", "value": CoverageRef().encode(),
                        "label": plain(reader, "procedures.button.coverage")})
    if permissions.may_create(actor) or actor.is_admin:
        buttons.append({"action_id": "procedures_register", "value": "register",
                        "label": plain(reader, "procedures.button.register")})
    return render("procedure_list", reader, modal=True, title=plain(reader, "procedures.mine.title"), metadata=None,
                  fallback="", sections=sections, buttons=buttons)
