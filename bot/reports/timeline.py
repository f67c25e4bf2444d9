"""The append-only timeline of a report, and how each entry reads in a person's language."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, mrkdwn
from bot.i18n import Reader, plain, safe, text
from bot.org.people import Actor
from storage.models import CorrectiveAction, Person, Report, ReportEvent

# Detail values stored as codes and shown as words: detail key -> catalogue prefix.
LABELLED = {
    "level": "reports.risk", "type": "reports.action_type", "control": "reports.control",
    "standard": "common.standard_short", "rejection": "reports.rejection", "kind": "reports.kind",
}
MENTIONED = ("owner", "verifier")  # a Slack user id
MENTIONED_LISTS = ("people",)  # several Slack user ids
DATES = ("due", "previous_due")


def record(session: Session, report: Report, actor: Actor | None, kind: str, *,
           action: CorrectiveAction | None = None, **detail: Any) -> ReportEvent:
    """Append an entry; ``actor`` None is Triad itself, or the anonymous reporter with ``anonymous=True``."""
    if action is not None:
        detail = {"number": action.number, **detail}
    entry = ReportEvent(report_id=report.id, action_id=action.id if action else None, at=clock.now(),
                        actor_id=actor.id if actor else None, kind=kind, detail=detail)
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, report: Report) -> list[ReportEvent]:
    return list(session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.id)))


def slack_ids(session: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    return dict(session.execute(select(Person.id, Person.slack_user_id).where(Person.id.in_(person_ids))).all())


def describe(entry: ReportEvent, reader: Reader, who_ids: dict[int, str]) -> Markup:
    """One entry as a sentence: "<@U0LI> assessed the risk: 🟠 High (4 × 3)"."""
    values: dict[str, Any] = {}
    for key, value in entry.detail.items():
        if key in LABELLED and value:
            values[key] = plain(reader, f"{LABELLED[key]}.{value}")
        elif key in MENTIONED and value:
            values[key] = safe(mrkdwn.mention(value))
        elif key in MENTIONED_LISTS:
            values[key] = safe(", ".join(mrkdwn.mention(v) for v in value) or text(reader, "reports.nobody"))
        elif key in DATES and value:
            values[key] = due_datetime(date.fromisoformat(value))
        else:
            values[key] = value
    return text(reader, f"reports.event.{entry.kind}", who=who(entry, reader, who_ids), **values)


def who(entry: ReportEvent, reader: Reader, who_ids: dict[int, str]) -> Markup:
    if entry.actor_id is not None and entry.actor_id in who_ids:
        return safe(mrkdwn.mention(who_ids[entry.actor_id]))
    if entry.detail.get("anonymous"):
        return text(reader, "reports.anonymous_reporter")
    return text(reader, "reports.triad")


def due_datetime(day: date) -> datetime:
    """A due date as a moment the date filters can show: noon UTC is that calendar day from UTC−11 to UTC+11."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
