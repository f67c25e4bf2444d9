"""The append-only timeline of a report, and how each entry reads in a person's language."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.evidence import log as evidence
from bot.i18n import Reader, listed, plain, safe, text
from bot.org.people import Actor
from storage.models import CorrectiveAction, EvidenceEntry, Person, Report

# Detail values stored as codes and shown as words: detail key -> catalogue prefix.
LABELLED = {
    "level": "reports.risk", "type": "reports.action_type", "control": "reports.control",
    "standard": "common.standard_short", "rejection": "reports.rejection", "kind": "reports.kind",
    "nonconformity": "reports.nonconformity",  # a defect's severity, in quality words
    "previous_kind": "reports.kind", "new_kind": "reports.kind",
    "waiting": "reports.waiting", "why": "reports.urgent_short",
}
LABELLED_LISTS = {"added": "common.standard_short", "removed": "common.standard_short"}  # several codes
BILINGUAL = ("department",)  # {"en": ..., "zh": ...}; empty: none
MENTIONED = ("owner", "verifier")  # a Slack user id
MENTIONED_LISTS = ("people",)  # several Slack user ids
DATES = ("due", "previous_due")


def record(session: Session, report: Report, actor: Actor | None, kind: str, *,
           action: CorrectiveAction | None = None, at: datetime | None = None, stated_at: datetime | None = None,
           corrects: EvidenceEntry | None = None, **detail: Any) -> EvidenceEntry:
    """Append an entry to the evidence log, on the report's timeline; ``actor`` None is Triad itself, or the
    anonymous reporter with ``anonymous=True``. ``at``: when written, if not now (an anonymous filing is stored
    to the hour); ``stated_at``: when the person says it happened; ``corrects``: the entry it supersedes (a
    re-assessed risk, a new due date, a report reclassified): the earlier one stays as it was written."""
    if action is not None:
        detail = {"number": action.number, **detail}
    return evidence.append(session, "reports", kind, actor_id=actor.id if actor else None, subject=report.reference,
                           report_id=report.id, action_id=action.id if action else None, written_at=at,
                           stated_at=stated_at, corrects=corrects, detail=detail)


def latest(session: Session, report: Report, *kinds: str, action: CorrectiveAction | None = None
           ) -> EvidenceEntry | None:
    """The report's (or its action's) latest entry of these kinds: what a new step of the same kind corrects."""
    query = select(EvidenceEntry).where(EvidenceEntry.report_id == report.id, EvidenceEntry.kind.in_(kinds))
    if action is not None:
        query = query.where(EvidenceEntry.action_id == action.id)
    return session.scalars(query.order_by(EvidenceEntry.id.desc()).limit(1)).first()


def entries(session: Session, report: Report) -> list[EvidenceEntry]:
    return list(session.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == report.id)
                                .order_by(EvidenceEntry.id)))


def actors(session: Session, person_ids: set[int]) -> dict[int, Person]:
    """The people who took the steps, by id (one query for a whole timeline)."""
    if not person_ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}


def describe(entry: EvidenceEntry, reader: Reader, who_took: dict[int, Person]) -> Markup:
    """One entry as a sentence: "*Li Na* assessed the risk: 🟠 High · 4 × 3"."""
    values: dict[str, Any] = {}
    for key, value in entry.detail.items():
        if key in LABELLED and value:
            values[key] = plain(reader, f"{LABELLED[key]}.{value}")
        elif key in MENTIONED and value:
            values[key] = safe(mrkdwn.mention(value))
        elif key in MENTIONED_LISTS:
            values[key] = safe(listed(reader, (mrkdwn.mention(v) for v in value)) or text(reader, "reports.nobody"))
        elif key in LABELLED_LISTS:
            values[key] = listed(reader, (plain(reader, f"{LABELLED_LISTS[key]}.{v}") for v in value or []))
        elif key in BILINGUAL and isinstance(value, dict):
            values[key] = value.get(reader.lang) or value.get("en") or plain(reader, "common.none")
        elif key == "channel" and value:
            values[key] = safe(mrkdwn.channel(value))
        elif key in DATES and value:
            values[key] = due_datetime(date.fromisoformat(value))
        elif key == "missing":
            values[key] = missing_text(reader, [(gap, standard) for gap, standard in value])
        else:
            values[key] = value
    return text(reader, f"reports.event.{entry.kind}", who=who(entry, reader, who_took), **values)


def missing_text(reader: Reader, gaps: list[tuple[str, str | None]]) -> str:
    """What a report still needs before it closes, as one phrase; sign-offs are named together."""
    signers = [plain(reader, f"common.standard_short.{standard}") for gap, standard in gaps if gap == "sign_off"]
    parts = [plain(reader, f"reports.gap.{gap}") for gap, _ in gaps if gap != "sign_off"]
    if signers:
        parts.append(plain(reader, "reports.gap.sign_off", items=signers))
    return plain(reader, "reports.gap.all", items=parts)


def who(entry: EvidenceEntry, reader: Reader, who_took: dict[int, Person]) -> Markup:
    """The person who took a step, by name: a mention would ping them about their own step."""
    if entry.actor_id is not None and entry.actor_id in who_took:
        return safe(f"*{mrkdwn.escape(who_took[entry.actor_id].name(reader.lang))}*")
    if entry.detail.get("anonymous"):
        return text(reader, "reports.anonymous_reporter")
    return text(reader, "reports.triad")


def due_datetime(day: date) -> datetime:
    """A due date as a moment the date filters can show: noon UTC is that calendar day from UTC−11 to UTC+11."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
