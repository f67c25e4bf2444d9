"""The modals of the closed loop: how each is built, and how its submitted values are read back.

Block ids are the field names of the domain's drafts, so an ``InvalidInput`` from the service
maps straight onto inline errors. Modal state (which report or action) travels in
``private_metadata``, as a value of bot/values.py.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, plain, render, safe, text
from bot.org import rules
from bot.reports import risk, timeline
from bot.reports.kinds import DEFAULT_STANDARDS, REJECTION_NEEDS_NOTE
from bot.reports.reclassify import Reclassification
from bot.reports.references import action_subject
from bot.reports.service import ActionDraft, ReportDraft
from bot.reports.values import ActionRef, ReportFormMeta, ReportRef
from storage import db
from storage.models import (
    ActionType,
    ControlLevel,
    CorrectiveAction,
    Department,
    EvidenceEntry,
    InjuryClass,
    Location,
    Report,
    ReportKind,
    RiskLevel,
    Site,
    Standard,
)

E = TypeVar("E", bound=Enum)
REPORT_FORM = "report_submit"
DESCRIPTION_MAX = 3000  # the form's field; longer words (a long message) come in cut, and the form says so
RISK_FORM = "report_risk_submit"
ACTION_FORM = "report_action_submit"
REJECT_FORM = "report_reject_submit"
ROOT_CAUSE_FORM = "report_root_cause_submit"
QUESTION_FORM = "report_question_submit"
ANSWER_FORM = "report_answer_submit"
DONE_FORM = "action_done_submit"
MORE_TIME_FORM = "action_more_time_submit"
CANT_DO_FORM = "action_cant_do_submit"
REOPEN_FORM = "action_reopen_submit"
RECLASSIFY_FORM = "report_reclassify_submit"
CHECK_FORM = "report_check_submit"

# The one-line forms: callback id -> (title key, label key).
TEXT_FORMS = {
    QUESTION_FORM: ("reports.form.question.title", "reports.form.question.label"),
    ANSWER_FORM: ("reports.form.answer.title", "reports.form.answer.label"),
    CANT_DO_FORM: ("reports.form.cant_do.title", "reports.form.cant_do.label"),
    REOPEN_FORM: ("reports.form.reopen.title", "reports.form.reopen.label"),
}


def _options(reader: Reader, prefix: str, members: Iterable[Enum]) -> list[dict[str, str]]:
    return [{"label": plain(reader, f"{prefix}.{m.value}"), "value": m.value} for m in members]


# --- the report form ---------------------------------------------------------------------------

def report_form(session: Session, reader: Reader, draft: ReportDraft, *,
                source_link: str | None = None) -> dict[str, Any]:
    locations, departments = db.remembered(session, ("report form places", reader.lang),
                                           lambda: _places(session, reader.lang))
    standards = draft.standards or (list(DEFAULT_STANDARDS[draft.kind]) if draft.kind else [])
    meta = ReportFormMeta(link=source_link, channel=draft.origin_channel)
    return render("report_form", reader, callback_id=REPORT_FORM, metadata=meta.encode(),
                  kinds=_options(reader, "reports.kind", ReportKind), kind=draft.kind.value if draft.kind else None,
                  description=draft.description[:DESCRIPTION_MAX], cut=len(draft.description) > DESCRIPTION_MAX,
                  linked=source_link is not None, locations=locations[:100],
                  location=str(draft.location_id) if draft.location_id else None,
                  departments=departments[:100],
                  department=str(draft.department_id) if draft.department_id else None,
                  severities=_options(reader, "reports.risk", RiskLevel),
                  injuries=_options(reader, "reports.injury", InjuryClass),
                  standards=_options(reader, "common.standard", Standard),
                  chosen_standards=[s.value for s in standards])


def _places(session: Session, lang: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The form's locations and departments, in a language: the same for every report until set-up changes."""
    locations = [{"label": f"{site.name(lang)} · {loc.name(lang)}", "value": str(loc.id)}
                 for loc, site in session.execute(select(Location, Site).join(Site).order_by(Site.code, Location.id))]
    departments = [{"label": d.name(lang), "value": str(d.id)}
                   for d in session.scalars(select(Department).order_by(Department.code))]
    return locations, departments


db.watch(Location.__tablename__, Site.__tablename__, Department.__tablename__)


def read_report_form(values: dict[str, Any], meta: ReportFormMeta) -> ReportDraft:
    v = _Values(values)
    occurred = v.get("occurred_at", "selected_date_time")
    return ReportDraft(
        kind=_enum(ReportKind, v.option("kind")), description=v.text("description") or "",
        location_id=_int(v.option("location")), place=v.text("place"), department_id=_int(v.option("department")),
        occurred_at=datetime.fromtimestamp(int(occurred), tz=UTC) if occurred else None,
        immediate_action=v.text("immediate_action"), severity_estimate=_enum(RiskLevel, v.option("severity_estimate")),
        injury_class=_enum(InjuryClass, v.option("injury_class")),
        photos=[_file(f) for f in v.get("photos", "files") or []],
        anonymous="yes" in v.options("anonymous"),
        standards=[s for s in (_enum(Standard, x) for x in v.options("standards")) if s],
        source_link=meta.link,
        origin_channel=meta.channel if meta.channel and rules.channel(meta.channel) is None else None,
    )


def is_anonymous_filing(body: dict[str, Any]) -> bool:
    """A report form sent with "anonymous" ticked: nothing about its sender may be written while filing it."""
    view = body.get("view") if body.get("type") == "view_submission" else None
    if not isinstance(view, dict) or view.get("callback_id") != REPORT_FORM:
        return False
    values = (view.get("state") or {}).get("values")
    try:
        return "yes" in _Values(values if isinstance(values, dict) else {}).options("anonymous")
    except (AttributeError, TypeError):
        return False


def _file(f: dict[str, Any]) -> dict[str, str]:
    return {"id": str(f.get("id")), "name": str(f.get("name") or f.get("title") or "photo")[:100],
            "permalink": str(f.get("permalink") or "")}


def receipt_view(reader: Reader, reference: str, follow_code: str | None, *, already: bool) -> dict[str, Any]:
    """What replaces the form after submitting: the anonymous receipt and code, or 'already filed'."""
    return render("report_receipt", reader, reference=reference, follow_code=follow_code, already=already)


# --- triage forms ------------------------------------------------------------------------------

def risk_form(reader: Reader, report: Report, residual: bool) -> dict[str, Any]:
    scale = [str(n) for n in risk.SCALE]
    severity_words = "reports.defect_severity" if report.kind == ReportKind.DEFECT else "reports.severity"
    return render("risk_form", reader, callback_id=RISK_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, residual=residual,
                  likelihoods=[{"label": plain(reader, f"reports.likelihood.{n}"), "value": n} for n in scale],
                  severities=[{"label": plain(reader, f"{severity_words}.{n}"), "value": n} for n in scale])


def read_risk_form(values: dict[str, Any]) -> tuple[int | None, int | None]:
    v = _Values(values)

    def on_scale(value: int | None) -> int | None:  # a value the form never offered reads as no choice
        return value if value in risk.SCALE else None

    return on_scale(_int(v.option("likelihood"))), on_scale(_int(v.option("severity")))


def action_form(reader: Reader, report: Report, today: date, assigner_slack_id: str) -> dict[str, Any]:
    return render("action_form", reader, callback_id=ACTION_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, types=_options(reader, "reports.action_type", ActionType),
                  controls=_options(reader, "reports.control", ControlLevel),
                  due=risk.default_due(report.risk_level, today).isoformat(), verifier=assigner_slack_id)


def read_action_form(values: dict[str, Any]) -> ActionDraft:
    v = _Values(values)
    due = v.get("due_on", "selected_date")
    return ActionDraft(type=_enum(ActionType, v.option("type")), control_level=_enum(ControlLevel, v.option("control")),
                       owner_slack_id=v.get("owner", "selected_user"),
                       verifier_slack_id=v.get("verifier", "selected_user"),
                       due_on=date.fromisoformat(due) if due else None, description=v.text("description") or "")


def reject_form(reader: Reader, report: Report) -> dict[str, Any]:
    return render("reject_form", reader, callback_id=REJECT_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, note_required=report.kind in REJECTION_NEEDS_NOTE)


def read_reject_form(values: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    v = _Values(values)
    return v.option("reason"), v.text("duplicate_of"), v.text("note")


def root_cause_form(reader: Reader, report: Report) -> dict[str, Any]:
    whys = (report.root_cause_whys or []) + [""] * 5
    return render("root_cause_form", reader, callback_id=ROOT_CAUSE_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, whys=whys[:5], cause=report.root_cause or "")


def read_root_cause_form(values: dict[str, Any]) -> tuple[list[str], str]:
    v = _Values(values)
    return [v.text(f"why{n}") or "" for n in range(1, 6)], v.text("cause") or ""


def reclassify_form(session: Session, reader: Reader, report: Report) -> dict[str, Any]:
    """Shown only to someone who may triage the report: its injury class is theirs to see."""
    departments = [{"label": d.name(reader.lang), "value": str(d.id)}
                   for d in session.scalars(select(Department).order_by(Department.code))]
    return render("reclassify_form", reader, callback_id=RECLASSIFY_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, kinds=_options(reader, "reports.kind", ReportKind),
                  kind=report.kind.value, departments=departments[:100],
                  department=str(report.department_id) if report.department_id else None,
                  standards=_options(reader, "common.standard", Standard),
                  chosen_standards=[t.standard.value for t in report.standards],
                  injuries=_options(reader, "reports.injury", InjuryClass),
                  injury=report.injury_class.value if report.injury_class else None)


def read_reclassify_form(values: dict[str, Any]) -> Reclassification:
    v = _Values(values)
    return Reclassification(kind=_enum(ReportKind, v.option("kind")), department_id=_int(v.option("department")),
                            standards=[s for s in (_enum(Standard, x) for x in v.options("standards")) if s],
                            injury_class=_enum(InjuryClass, v.option("injury_class")), note=v.text("note"))


def text_form(reader: Reader, callback_id: str, subject: str, meta: ReportRef | ActionRef,
              context: str | None = None) -> dict[str, Any]:
    """``context``: what the text answers, shown above the field (the modal hides the message it came from)."""
    title, label = TEXT_FORMS[callback_id]
    return render("text_form", reader, callback_id=callback_id, metadata=meta.encode(), subject=subject,
                  title=title, label=label, context=context)


def answer_form(session: Session, reader: Reader, report: Report) -> dict[str, Any]:
    """The reporter's answer, under the latest question they were asked."""
    asked = session.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == report.id,
                                                      EvidenceEntry.kind == "question")
                            .order_by(EvidenceEntry.id.desc()).limit(1)).first()
    context = None
    if asked is not None:
        who = timeline.who(asked, reader, timeline.actors(session, {asked.actor_id} if asked.actor_id else set()))
        quoted = "\n".join(f">{mrkdwn.escape(line)}" for line in str(asked.detail.get("question", "")).splitlines())
        context = text(reader, "reports.form.answer.question", who=who, question=safe(quoted))
    return text_form(reader, ANSWER_FORM, report.reference, ReportRef(report.id), context)


def read_text_form(values: dict[str, Any]) -> str:
    return _Values(values).text("text") or ""


def check_form(reader: Reader, report: Report, due: date, checker: str | None) -> dict[str, Any]:
    """When the effectiveness of a closed report is checked again, and by whom (effectiveness.proposal)."""
    return render("check_form", reader, callback_id=CHECK_FORM, metadata=ReportRef(report.id).encode(),
                  reference=report.reference, due=due.isoformat(), checker=checker)


def read_check_form(values: dict[str, Any]) -> tuple[date | None, str | None]:
    v = _Values(values)
    try:
        due = date.fromisoformat(v.get("due_on", "selected_date") or "")
    except ValueError:
        due = None
    return due, v.get("owner", "selected_user") or None


# --- the action owner's forms ------------------------------------------------------------------

def done_form(reader: Reader, action: CorrectiveAction) -> dict[str, Any]:
    return render("done_form", reader, callback_id=DONE_FORM, metadata=ActionRef(action.id).encode(),
                  subject=action_subject(action), description=action.description)


def read_done_form(values: dict[str, Any]) -> tuple[str | None, list[dict[str, str]]]:
    v = _Values(values)
    return v.text("note"), [_file(f) for f in v.get("files", "files") or []]


def more_time_form(reader: Reader, action: CorrectiveAction) -> dict[str, Any]:
    return render("more_time_form", reader, callback_id=MORE_TIME_FORM, metadata=ActionRef(action.id).encode(),
                  subject=action_subject(action), due=action.due_on.isoformat())


def read_more_time_form(values: dict[str, Any]) -> tuple[date | None, str]:
    v = _Values(values)
    due = v.get("due_on", "selected_date")
    return (date.fromisoformat(due) if due else None), v.text("text") or ""


# --- reading Slack's view.state.values ---------------------------------------------------------

class _Values:
    """``{block_id: {action_id: {...}}}``: each of our input blocks has one element."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values or {}

    def get(self, block_id: str, key: str) -> Any:
        element = next(iter((self.values.get(block_id) or {}).values()), None) or {}
        return element.get(key)

    def text(self, block_id: str) -> str | None:
        value = self.get(block_id, "value")
        return value if isinstance(value, str) and value.strip() else None

    def option(self, block_id: str) -> str | None:
        return (self.get(block_id, "selected_option") or {}).get("value")

    def options(self, block_id: str) -> list[str]:
        return [o.get("value") for o in self.get(block_id, "selected_options") or []]


def _enum(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
