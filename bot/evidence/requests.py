"""An export asked for in Slack: what the form holds, what is wrong with it, and the step that accepts it.

The step records the decision and announces ``ExportRequested``; the Slack side writes, in the same transaction, the
requester's "being prepared" DM and the outbox upload that makes the file at delivery (bot/evidence/export.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import clock
from bot.events import announce
from bot.evidence import permissions
from bot.evidence.events import ExportRequested
from bot.evidence.export import FORMATS, SHEETS, ExportRequest
from bot.evidence.permissions import require_exporter
from bot.org import people
from bot.org.people import Actor
from bot.reports.errors import InvalidInput
from storage.models import Department, Standard

DEFAULT_DAYS = 90  # the form opens on the last 90 days
# What the form offers, in the export's order; the export's other sheets (the log's own flags) come with the log.
OFFERED = ("reports", "actions", "timeline", "evidence")


@dataclass(frozen=True)
class ExportDraft:
    """The form's values as read, before they are checked."""

    sheets: tuple[str, ...]
    since: date | None
    until: date | None
    standard: Standard | None = None
    department_id: int | None = None
    format: str = "xlsx"


def today(session: Session, now: datetime | None = None) -> date:
    """Today in the workspace's time zone, the zone export periods are read in."""
    return (now or clock.now()).astimezone(ZoneInfo(people.settings_of(session).timezone)).date()


def default_period(day: date) -> tuple[date, date]:
    return day - timedelta(days=DEFAULT_DAYS), day


def problems(draft: ExportDraft, day: date | None = None) -> dict[str, str]:
    """{field: text key}; ``day`` (today) also checks that the period has ended by then."""
    found: dict[str, str] = {}
    if not draft.sheets:
        found["sheets"] = "export_form.error.nothing_chosen"
    elif not set(draft.sheets) <= set(OFFERED):
        found["sheets"] = "export_form.error.unknown_sheet"
    if draft.since is None:
        found["since"] = "export_form.error.no_date"
    if draft.until is None:
        found["until"] = "export_form.error.no_date"
    elif day is not None and draft.until > day:
        found["until"] = "export_form.error.future"
    if draft.since is not None and draft.until is not None and draft.since > draft.until and "until" not in found:
        found["since"] = "export_form.error.after_until"
    if draft.format not in FORMATS:
        found["format"] = "export_form.error.format"
    return found


def raise_if(found: dict[str, str]) -> None:
    if found:
        raise InvalidInput(found)


def describe(draft: ExportDraft) -> str:
    """The request as the evidence log records it beside the decision."""
    parts = [",".join(draft.sheets), f"{draft.since}..{draft.until}", draft.format]
    if draft.standard is not None:
        parts.append(draft.standard.value)
    if draft.department_id is not None:
        parts.append(f"department {draft.department_id}")
    return " ".join(parts)


def check(session: Session, actor: Actor, draft: ExportDraft) -> None:
    """From a read: who asks (a refusal is recorded after the answer), and the values against today."""
    require_exporter(session, actor, "request", describe(draft))
    _check_values(session, draft)


def request_export(session: Session, actor: Actor, draft: ExportDraft, key: str) -> ExportRequested:
    """Accept the export: the decision is recorded, and what it owes the requester is written with it."""
    require_exporter(session, actor, "request", describe(draft))
    _check_values(session, draft)
    assert draft.since is not None and draft.until is not None  # checked
    request = ExportRequest(sheets=sheets_of(draft.sheets), since=draft.since,
                            until=draft.until, standard=draft.standard, department_id=draft.department_id,
                            format=draft.format, language=actor.lang, timezone=people.settings_of(session).timezone,
                            injuries=permissions.may_see_injuries(actor))
    event = ExportRequested(actor.id, key, request)
    announce(session, event)
    return event


def sheets_of(chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The export's sheets for what was chosen, in its order: the whole evidence log with its flags."""
    return tuple(s for s in SHEETS if s in chosen or (s not in OFFERED and "evidence" in chosen))


def _check_values(session: Session, draft: ExportDraft) -> None:
    found = problems(draft, today(session))
    if draft.department_id is not None and session.get(Department, draft.department_id) is None:
        found["department"] = "export_form.error.department_gone"
    raise_if(found)


# --- the request as the outbox carries it to the delivery (plain JSON) ------------------------------------

def request_args(request: ExportRequest) -> dict[str, Any]:
    return {"sheets": list(request.sheets), "since": _iso(request.since), "until": _iso(request.until),
            "standard": request.standard.value if request.standard else None,
            "department_id": request.department_id, "format": request.format, "language": request.language,
            "timezone": request.timezone, "injuries": request.injuries}


def request_from(args: dict[str, Any]) -> ExportRequest:
    return ExportRequest(sheets=tuple(args.get("sheets") or SHEETS), since=_day(args.get("since")),
                         until=_day(args.get("until")),
                         standard=Standard(args["standard"]) if args.get("standard") else None,
                         department_id=args.get("department_id"), format=str(args.get("format") or "xlsx"),
                         language=str(args.get("language") or "en"), timezone=str(args.get("timezone") or "UTC"),
                         injuries=bool(args.get("injuries", False)))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(raw: Any) -> date | None:
    return date.fromisoformat(raw) if isinstance(raw, str) and raw else None
