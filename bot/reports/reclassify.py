"""Reclassifying and transferring a filed report: its kind, department (and so its channel) and standards.

Triage often learns what a report really is only after it is filed: a "hazard" turns out to have hurt
someone, a paint-booth issue was filed from Stamping. The people who triage change it; the reference
stays (people have written it down), the timeline says what changed, and everything follows: the card
(moved to the new department's channel, the old one saying where it went), the owners of a newly
tagged standard called into the thread, that standard's channel told.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot.events import announce
from bot.org import people
from bot.org.people import Actor
from bot.reports import events, service, timeline
from bot.reports.errors import InvalidInput
from bot.reports.events import OwnersCalledIn, ReportTransferred
from bot.reports.kinds import DEFAULT_STANDARDS
from storage.models import Department, InjuryClass, Report, ReportKind, ReportStandard, Standard


@dataclass
class Reclassification:
    kind: ReportKind | None = None
    department_id: int | None = None
    standards: list[Standard] = field(default_factory=list)
    injury_class: InjuryClass | None = None
    note: str | None = None


def change_problems(change: Reclassification) -> dict[str, str]:
    problems: dict[str, str] = {}
    if change.kind is None:
        problems["kind"] = "reports.invalid.kind"
    elif change.kind == ReportKind.INCIDENT and change.injury_class is None:
        problems["injury_class"] = "reports.invalid.injury_class"
    if service.text_problem(change.note, None):
        problems["note"] = "reports.invalid.text_long"
    return problems


def _standards(change: Reclassification) -> list[Standard]:
    assert change.kind is not None
    return list(dict.fromkeys(change.standards or DEFAULT_STANDARDS[change.kind]))


def check_reclassify(session: Session, actor: Actor, report_id: int, change: Reclassification) -> Report:
    report = service.check_may_triage(session, actor, report_id, "reclassify")
    problems = change_problems(change)
    if change.department_id and session.get(Department, change.department_id) is None:
        problems["department"] = "reports.invalid.department_unknown"
    service.raise_if(problems)
    injury = change.injury_class if change.kind == ReportKind.INCIDENT else None
    if (change.kind, injury, change.department_id) == (report.kind, report.injury_class, report.department_id) \
            and set(_standards(change)) == {tag.standard for tag in report.standards}:
        raise InvalidInput({"kind": "reports.invalid.nothing_changed"})
    return report


def reclassify(session: Session, actor: Actor, report_id: int, change: Reclassification) -> Report:
    report = check_reclassify(session, actor, report_id, change)
    assert change.kind is not None
    department = session.get(Department, change.department_id) if change.department_id else None
    standards = _standards(change)
    injury = change.injury_class if change.kind == ReportKind.INCIDENT else None
    before = {tag.standard for tag in report.standards}
    added = [s for s in standards if s not in before]
    removed = sorted(before - set(standards), key=list(Standard).index)
    org = people.organisation(session)
    channel = (department.channel_id if department else None) or org.triage_channel_id or report.channel_id
    # A report waiting for a channel has no card to move: it is posted below if it now has somewhere to go.
    moved_from = report.channel_id if report.channel_id and channel != report.channel_id else None

    detail: dict[str, Any] = {"new_kind": change.kind.value if change.kind != report.kind else None,
              "previous_kind": report.kind.value if change.kind != report.kind else None,
              "injury": injury.value if injury != report.injury_class and injury else None,
              "department": _names(department) if (department.id if department else None) != report.department_id
              else None, "added": [s.value for s in added], "removed": [s.value for s in removed],
              "channel": channel if moved_from else None, "note": (change.note or "").strip() or None}
    report.kind, report.injury_class = change.kind, injury
    report.department_id = department.id if department else None
    report.standards = [tag for tag in report.standards if tag.standard in standards] + \
        [ReportStandard(standard=s) for s in added]
    if report.channel_id is not None:
        report.channel_id = channel
    session.flush()
    entry = timeline.record(session, report, actor, "reclassified",
                            corrects=timeline.latest(session, report, "reclassified", "filed"), **detail)
    if report.channel_id is None:
        service.post_waiting(session)
    elif moved_from:
        old_card, report.card_entry_id = report.card_entry_id, entry.id  # a new card, in the new channel
        announce(session, ReportTransferred(report.id, entry.id, moved_from, old_card))
    elif added:
        announce(session, OwnersCalledIn(report.id, entry.id, tuple(added)))
    events.stepped(session, report, entry)
    service.close_if_complete(session, report)  # a standard no longer tagged may have been all it waited for
    return report


def _names(department: Department | None) -> dict[str, str]:
    """Stored in both languages: the timeline reads in each person's own (empty: no department)."""
    return {"en": department.name_en, "zh": department.name_zh} if department else {"en": "", "zh": ""}
