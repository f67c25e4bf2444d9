"""Every step of a report's life (its corrective actions are in ``corrective``): one function per step,
taking a session and the person acting.

Each step checks who may take it (audited), checks that the report is still in a state where the
step makes sense (a stale button changes nothing), changes the state, appends to the timeline and
announces what happened (``events``) for the Slack side to show — all in the caller's unit of work.
Refusals raise ``ReportError`` (or ``NotAllowed``) with a text key; form problems ``InvalidInput``.

A step that a form submits is split in three, so its form can be answered before anything is written:
``*_problems`` looks at the submitted values alone; ``check_*`` reads (permission, state, values that need
the database) and raises, writing nothing when run from ``Database.read()``; the step itself runs the same
check again, under the lock of the write, then changes the state. The form's answer comes between.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, followups
from bot.events import announce
from bot.i18n import zone
from bot.org import people, working_hours
from bot.org.events import ChannelAsked
from bot.org.people import Actor
from bot.reports import closure, events, followup, kinds, permissions, references, risk, timeline
from bot.reports.errors import InvalidInput, ReportError
from bot.reports.events import ActionGiven, ReportEscalated, ReportFiled, ReportPosted
from bot.reports.kinds import ANONYMOUS_KINDS, DEFAULT_STANDARDS, REJECTION_NEEDS_NOTE
from storage.db import is_read_only
from storage.models import (
    ActionStatus,
    ActionType,
    ControlLevel,
    CorrectiveAction,
    Department,
    InjuryClass,
    Location,
    Person,
    Report,
    ReportKind,
    ReportStandard,
    ReportStatus,
    RiskLevel,
    Role,
    Standard,
)

DESCRIPTION_MAX = 3000
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 2000
PHOTOS_MAX = 5
OPEN = (ReportStatus.NEW, ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING)
FOLLOW_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


# --- filing ----------------------------------------------------------------------------------------

@dataclass
class ReportDraft:
    """What a person filled in; ``photos`` are {"id", "name", "permalink"} of Slack files."""

    kind: ReportKind | None = None
    description: str = ""
    location_id: int | None = None
    place: str | None = None
    department_id: int | None = None
    occurred_at: datetime | None = None
    immediate_action: str | None = None
    severity_estimate: RiskLevel | None = None
    injury_class: InjuryClass | None = None
    photos: list[dict[str, Any]] = field(default_factory=list)
    anonymous: bool = False
    standards: list[Standard] = field(default_factory=list)
    source_link: str | None = None
    origin_channel: str | None = None  # the channel /report was typed in (not a DM): used until set-up is done


@dataclass(frozen=True)
class Filed:
    report: Report
    follow_code: str | None  # shown once to an anonymous reporter, stored only as a hash
    already_filed: bool = False
    waiting: bool = False  # no channel to post it in yet: the administrators were asked to choose one


def guess(session: Session, words: str) -> kinds.Guess:
    """Kind, standards and location guessed from a person's own words, in English or Chinese."""
    places = [kinds.Place(loc.id, kinds.place_names(loc.code, loc.name_en, loc.name_zh))
              for loc in session.scalars(select(Location))]
    return kinds.guess(words, places)


def text_problem(value: str | None, missing: str | None, limit: int = LONG_TEXT_MAX) -> str | None:
    """The text key for what is wrong with something a person wrote: ``missing`` when it is required
    and empty (None: optional), too long, or nothing."""
    if value is None or not value.strip():
        return missing
    return "reports.invalid.text_long" if len(value) > limit else None


def raise_if(problems: dict[str, str]) -> None:
    """Form problems found by a check: InvalidInput, so they show under their fields."""
    if problems:
        raise InvalidInput(problems)


def check_draft(draft: ReportDraft) -> dict[str, str]:
    """Problems by field name, as text keys; empty when the draft can be filed."""
    problems: dict[str, str] = {}
    if draft.kind is None:
        problems["kind"] = "reports.invalid.kind"
    if not draft.description.strip():
        problems["description"] = "reports.invalid.description_missing"
    elif len(draft.description) > DESCRIPTION_MAX:
        problems["description"] = "reports.invalid.description_long"
    if draft.place and len(draft.place) > SHORT_TEXT_MAX:
        problems["place"] = "reports.invalid.place_long"
    if text_problem(draft.immediate_action, None):
        problems["immediate_action"] = "reports.invalid.text_long"
    if draft.occurred_at and draft.occurred_at > clock.now() + timedelta(minutes=5):
        problems["occurred_at"] = "reports.invalid.future"
    if len(draft.photos) > PHOTOS_MAX:
        problems["photos"] = "reports.invalid.photos"
    if draft.anonymous and draft.kind is not None and draft.kind not in ANONYMOUS_KINDS:
        problems["anonymous"] = "reports.invalid.anonymous_kind"
    if draft.anonymous and draft.photos:  # Slack shows, and file links contain, who uploaded a file
        problems["photos"] = "reports.invalid.anonymous_photos"
    if draft.kind == ReportKind.INCIDENT and draft.injury_class is None:
        problems["injury_class"] = "reports.invalid.injury_class"
    return problems


def source_key(raw: str) -> str:
    """Hashed, because a view id or DM timestamp could lead back to an anonymous reporter."""
    return hashlib.sha256(raw.encode()).hexdigest()


def already_filed(session: Session, raw_source: str) -> Report | None:
    return session.scalar(select(Report).where(Report.source_key == source_key(raw_source)))


def file_report(session: Session, actor: Actor, draft: ReportDraft, raw_source: str) -> Filed:
    """File once per source (a double submit or a replay answers with the first filing)."""
    existing = already_filed(session, raw_source)
    if existing is not None:
        return Filed(existing, None, already_filed=True)
    problems = check_draft(draft)
    if problems:
        raise InvalidInput(problems)
    assert draft.kind is not None
    org = people.organisation(session)
    location = session.get(Location, draft.location_id) if draft.location_id else None
    department = responsible_department(session, draft, location, actor)
    # Before a triage channel is chosen, a report made in a channel is posted there; from a DM it waits.
    channel = (department.channel_id if department else None) or org.triage_channel_id or draft.origin_channel
    now = filing_time(draft.anonymous)
    follow_code = _follow_code() if draft.anonymous else None
    report = Report(
        reference=references.next_reference(session, draft.kind, now.astimezone(zone(org.timezone)).year),
        kind=draft.kind, status=ReportStatus.NEW, description=draft.description.strip(),
        location_id=location.id if location else None, place=(draft.place or "").strip() or None,
        department_id=department.id if department else None, occurred_at=draft.occurred_at,
        immediate_action=(draft.immediate_action or "").strip() or None, severity_estimate=draft.severity_estimate,
        injury_class=draft.injury_class if draft.kind == ReportKind.INCIDENT else None, photos=draft.photos,
        source_link=draft.source_link, source_key=source_key(raw_source),
        reporter_id=None if draft.anonymous else actor.id, anonymous=draft.anonymous,
        follow_code_hash=hash_follow_code(follow_code) if follow_code else None, channel_id=channel,
        created_at=now,
    )
    report.standards = [ReportStandard(standard=s) for s in (draft.standards or DEFAULT_STANDARDS[draft.kind])]
    session.add(report)
    session.flush()
    reporter = None if draft.anonymous else actor
    entry = timeline.record(session, report, reporter, "filed", at=now, stated_at=draft.occurred_at,
                            anonymous=draft.anonymous)
    if report.channel_id is None:  # no channel to post it in yet: the administrators are asked to choose one
        ask_admins(session, report)
    announce(session, ReportFiled(report.id, entry.id, reporter))
    if report.injury_class is not None:
        followup.alert_if_urgent(session, report, "injury")
    return Filed(report, follow_code, waiting=report.channel_id is None)


def waiting(session: Session) -> list[Report]:
    """Reports filed before there was any channel to post them in, oldest first."""
    return list(session.scalars(select(Report).where(Report.channel_id.is_(None)).order_by(Report.id)))


def post_waiting(session: Session) -> int:
    """Post each waiting report that now has a channel (its department's, or the triage channel)."""
    org = people.organisation(session)
    posted = 0
    for report in waiting(session):
        department = session.get(Department, report.department_id) if report.department_id else None
        channel = (department.channel_id if department else None) or org.triage_channel_id
        if channel:
            report.channel_id = channel
            session.flush()
            announce(session, ReportPosted(report.id))
            posted += 1
    return posted


def ask_admins_about_waiting(session: Session) -> None:
    """Ask every administrator known now about every waiting report (each is asked once per report)."""
    for report in waiting(session):
        ask_admins(session, report)


def ask_admins(session: Session, report: Report) -> None:
    """Each administrator asked where reports go: once per report and person, in their working hours unless
    the report is urgent (an injury, a critical risk). Reminders: bot/org/waiting.py."""
    for admin in people.administrators(session):
        announce(session, ChannelAsked(working_hours.dm_in_hours(
            session, f"report:{report.id}:ask_admin:{admin.id}", admin, urgent=followup.urgent_alert(report)),
            report.reference, days=0, count=1))


def responsible_department(session: Session, draft: ReportDraft, location: Location | None,
                           actor: Actor) -> Department | None:
    """The department chosen; else the one the location names; else the reporter's own, unless anonymous:
    an anonymous report sent to its reporter's department would narrow down who filed it."""
    department_id = draft.department_id or (location.department_id if location else None) \
        or (None if draft.anonymous else actor.department_id)
    return session.get(Department, department_id) if department_id else None


def location_department(session: Session, location_id: int) -> int | None:
    location = session.get(Location, location_id)
    return location.department_id if location else None


def filing_time(anonymous: bool) -> datetime:
    """When a report is stored as filed. An anonymous one only to the hour: an exact time could be matched
    with what else the reporter did in Slack that second (when it happened is the form's own field)."""
    now = clock.now()
    return now.replace(minute=0, second=0, microsecond=0) if anonymous else now


def _follow_code() -> str:
    code = "".join(secrets.choice(FOLLOW_CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def hash_follow_code(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"triad-follow:{normalised}".encode()).hexdigest()


# --- finding ---------------------------------------------------------------------------------------

def get(session: Session, report_id: int | None) -> Report:
    """The report, locked for this unit of work: two people pressing at once take turns (PostgreSQL;
    SQLite's BEGIN IMMEDIATE already serialises writers), so each sees the other's change. A read (a form
    checked before its ack) locks nothing: the write after the ack checks again under the lock."""
    lock = not is_read_only(session)
    report = session.get(Report, report_id, with_for_update=lock) if isinstance(report_id, int) else None
    if report is None:
        raise ReportError("reports.error.unknown", reference=str(report_id))
    return report


def by_reference(session: Session, reference: str) -> Report:
    report = session.scalar(select(Report).where(Report.reference == reference.strip().upper()))
    if report is None:
        raise ReportError("reports.error.unknown", reference=reference.strip()[:40])
    return report


def by_follow_code(session: Session, code: str) -> Report:
    report = session.scalar(select(Report).where(Report.follow_code_hash == hash_follow_code(code)))
    if report is None:
        raise ReportError("reports.error.unknown_code")
    return report


def check_visible(session: Session, actor: Actor, report: Report) -> bool:
    """Refused (audited) unless the person may see the report; whether they may see its injury class too."""
    permissions.require_visible(session, actor, report)
    return permissions.may_see_injury(actor, report)


def get_action(session: Session, action_id: int | None) -> CorrectiveAction:
    action = session.get(CorrectiveAction, action_id) if isinstance(action_id, int) else None
    if action is None:
        raise ReportError("reports.error.unknown_action")
    get(session, action.report_id)  # closing depends on every action of the report: lock it too
    session.refresh(action)
    return action


def today(session: Session) -> date:
    return clock.now().astimezone(zone(people.settings_of(session).timezone)).date()


def require_open(report: Report, *allowed: ReportStatus) -> None:
    if report.status == ReportStatus.CLOSED:
        raise ReportError("reports.error.closed", reference=report.reference)
    if report.status == ReportStatus.REJECTED:
        raise ReportError("reports.error.rejected", reference=report.reference)
    if report.status not in (allowed or OPEN):
        raise ReportError("reports.error.stale", reference=report.reference, status=report.status.value)


def _triage(session: Session, actor: Actor, report: Report, step: str) -> None:
    permissions.require(session, actor, f"report.{step}", report.reference, permissions.may_triage(actor, report),
                        permissions.TRIAGERS)


# --- triage ----------------------------------------------------------------------------------------

def check_may_triage(session: Session, actor: Actor, report_id: int, step: str) -> Report:
    """Before opening a triage modal: refuse early, so nobody fills in a form for nothing."""
    report = get(session, report_id)
    _triage(session, actor, report, step)
    require_open(report)
    return report


def acknowledge(session: Session, actor: Actor, report_id: int) -> Report:
    report = get(session, report_id)
    _triage(session, actor, report, "acknowledge")
    if report.status in (ReportStatus.TRIAGE, ReportStatus.ACTION, ReportStatus.CLOSING):
        raise ReportError("reports.error.already_acknowledged", reference=report.reference)
    require_open(report, ReportStatus.NEW)
    report.status = ReportStatus.TRIAGE
    events.stepped(session, report, timeline.record(session, report, actor, "acknowledged"))
    return report


def risk_problems(likelihood: int | None, severity: int | None) -> dict[str, str]:
    if likelihood is None or severity is None:
        return {"likelihood" if likelihood is None else "severity": "reports.invalid.risk_missing"}
    return {}


def check_assess_risk(session: Session, actor: Actor, report_id: int, likelihood: int | None,
                      severity: int | None) -> Report:
    report = check_may_triage(session, actor, report_id, "assess_risk")
    raise_if(risk_problems(likelihood, severity))
    return report


def assess_risk(session: Session, actor: Actor, report_id: int, likelihood: int | None,
                severity: int | None) -> Report:
    """The initial risk; once an action is verified, the residual risk after the actions."""
    report = check_assess_risk(session, actor, report_id, likelihood, severity)
    assert likelihood is not None and severity is not None
    level = risk.level(likelihood, severity)
    residual = is_residual(report)
    if residual:
        report.residual_likelihood, report.residual_severity, report.residual_risk_level = likelihood, severity, level
    else:
        report.likelihood, report.severity, report.risk_level = likelihood, severity, level
    if report.status == ReportStatus.NEW:
        report.status = ReportStatus.TRIAGE
    kind = "residual_risk" if residual else "risk_assessed"
    entry = timeline.record(session, report, actor, kind, corrects=timeline.latest(session, report, kind),
                            level=level.value, likelihood=likelihood, severity=severity,
                            nonconformity=str(severity) if report.kind == ReportKind.DEFECT else None)
    events.stepped(session, report, entry)
    if level == RiskLevel.CRITICAL and not residual:
        followup.alert_if_urgent(session, report, "critical")
    return report


def is_residual(report: Report) -> bool:
    return any(a.status == ActionStatus.VERIFIED for a in report.actions)


@dataclass
class ActionDraft:
    type: ActionType | None = None
    control_level: ControlLevel | None = None
    owner_slack_id: str | None = None
    verifier_slack_id: str | None = None
    due_on: date | None = None
    description: str = ""


def action_problems(assigner_slack_id: str, draft: ActionDraft) -> dict[str, str]:
    """What is wrong with an action as filled in (a due date in the past needs the plant's today: see the check)."""
    problems: dict[str, str] = {}
    if draft.type is None:
        problems["type"] = "reports.invalid.action_type"
    if problem := text_problem(draft.description, "reports.invalid.action_description"):
        problems["description"] = problem
    if not draft.owner_slack_id:
        problems["owner"] = "reports.invalid.owner"
    if draft.due_on is None:
        problems["due_on"] = "reports.invalid.due_past"
    if draft.owner_slack_id and (draft.verifier_slack_id or assigner_slack_id) == draft.owner_slack_id:
        problems["verifier"] = "reports.invalid.verifier_is_owner"
    return problems


def check_assign_action(session: Session, actor: Actor, report_id: int, draft: ActionDraft) -> Report:
    report = check_may_triage(session, actor, report_id, "assign_action")
    problems = action_problems(actor.slack_user_id, draft)
    if draft.due_on is not None and draft.due_on < today(session):
        problems["due_on"] = "reports.invalid.due_past"
    raise_if(problems)
    return report


def assign_action(session: Session, actor: Actor, report_id: int, draft: ActionDraft) -> CorrectiveAction:
    report = check_assign_action(session, actor, report_id, draft)
    assert draft.type is not None and draft.due_on is not None and draft.owner_slack_id
    verifier_slack_id = draft.verifier_slack_id or actor.slack_user_id
    owner, verifier = _person(session, draft.owner_slack_id), _person(session, verifier_slack_id)
    action = CorrectiveAction(
        report_id=report.id, number=len(report.actions) + 1, type=draft.type, control_level=draft.control_level,
        description=draft.description.strip(), owner_id=owner.id, verifier_id=verifier.id, assigned_by=actor.id,
        status=ActionStatus.OPEN, due_on=draft.due_on, evidence_files=[], created_at=clock.now(),
    )
    report.actions.append(action)
    report.status = ReportStatus.ACTION
    session.flush()
    clear_sign_offs(session, report, actor)
    entry = timeline.record(session, report, actor, "action_assigned", action=action, type=action.type.value,
                            control=action.control_level.value if action.control_level else None,
                            owner=owner.slack_user_id, verifier=verifier.slack_user_id,
                            due=action.due_on.isoformat(), description=action.description)
    events.stepped(session, report, entry)
    announce(session, ActionGiven(action.id, entry.id))
    return action


def _person(session: Session, slack_user_id: str) -> Person:
    """Someone picked in a people menu; a newcomer is registered as a worker, named when first seen."""
    return people.find(session, slack_user_id) or people.register_or_refresh(session, slack_user_id, None)


REJECTIONS = ("not_an_issue", "duplicate")


def _duplicate(duplicate_of: str | None) -> str | None:
    return (duplicate_of or "").strip().upper() or None


def reject_problems(reason: str | None, duplicate_of: str | None, note: str | None) -> dict[str, str]:
    """What the form alone shows wrong (whether a note is required depends on the report: see the check)."""
    problems: dict[str, str] = {}
    if reason not in REJECTIONS:
        problems["reason"] = "reports.invalid.rejection"
    elif reason == "duplicate" and not _duplicate(duplicate_of):
        problems["duplicate_of"] = "reports.invalid.duplicate_missing"
    if text_problem(note, None):
        problems["note"] = "reports.invalid.text_long"
    return problems


def check_reject(session: Session, actor: Actor, report_id: int, reason: str | None, duplicate_of: str | None,
                 note: str | None) -> Report:
    report = check_may_triage(session, actor, report_id, "reject")
    if any(a.status != ActionStatus.DECLINED for a in report.actions):
        raise ReportError("reports.error.has_actions", reference=report.reference)
    problems = reject_problems(reason, duplicate_of, note)
    duplicate = _duplicate(duplicate_of)
    if reason == "duplicate" and duplicate and (duplicate == report.reference or session.scalar(
            select(Report.id).where(Report.reference == duplicate)) is None):
        problems["duplicate_of"] = "reports.invalid.duplicate_unknown"
    if problem := text_problem(note, "reports.invalid.rejection_note" if report.kind in REJECTION_NEEDS_NOTE else None):
        problems["note"] = problem
    raise_if(problems)
    return report


def reject(session: Session, actor: Actor, report_id: int, reason: str | None, duplicate_of: str | None,
           note: str | None) -> Report:
    report = check_reject(session, actor, report_id, reason, duplicate_of, note)
    duplicate = _duplicate(duplicate_of)
    report.status, report.rejection = ReportStatus.REJECTED, reason
    report.duplicate_of = duplicate if reason == "duplicate" else None
    report.closed_at = clock.now()
    followups.forget(session, report.id)  # nothing waits on a rejected report
    entry = timeline.record(session, report, actor, "rejected", rejection=reason,
                            duplicate_of=report.duplicate_of, note=(note or "").strip() or None)
    events.stepped(session, report, entry)
    if report.escalated_at is not None:
        followup.tell_managers_rejected(session, report, entry)
    return report


def reopen(session: Session, actor: Actor, report_id: int) -> Report:
    """A rejected report back in triage: rejected by mistake, or the duplicate turned out different."""
    report = get(session, report_id)
    permissions.require(session, actor, "report.reopen", report.reference, permissions.may_reopen(actor, report),
                        permissions.REOPENERS)
    if report.status != ReportStatus.REJECTED:
        raise ReportError("reports.error.not_rejected", reference=report.reference)
    report.status, report.rejection, report.duplicate_of, report.closed_at = ReportStatus.TRIAGE, None, None, None
    events.stepped(session, report, timeline.record(session, report, actor, "reopened"))
    return report


def escalate(session: Session, actor: Actor, report_id: int) -> Report:
    report = get(session, report_id)
    _triage(session, actor, report, "escalate")
    require_open(report)
    if report.escalated_at is not None:
        raise ReportError("reports.error.already_escalated", reference=report.reference)
    managers = people.people_with_role(session, Role.MANAGER)
    report.escalated_at = clock.now()
    entry = timeline.record(session, report, actor, "escalated", people=[m.slack_user_id for m in managers])
    events.stepped(session, report, entry)
    announce(session, ReportEscalated(report.id, entry.id, tuple(working_hours.dm_in_hours(
        session, f"report:{report.id}:escalated:{manager.id}", manager, urgent=followup.urgent_alert(report))
        for manager in managers)))
    return report


def _whys(whys: list[str]) -> list[str]:
    return [w.strip() for w in whys if w and w.strip()]


def root_cause_problems(whys: list[str], cause: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not _whys(whys):
        problems["why1"] = "reports.invalid.why_missing"
    if not cause.strip():
        problems["cause"] = "reports.invalid.cause_missing"
    if any(len(w) > LONG_TEXT_MAX for w in _whys(whys)) or len(cause) > LONG_TEXT_MAX:
        problems["cause"] = "reports.invalid.text_long"
    return problems


def check_root_cause(session: Session, actor: Actor, report_id: int, whys: list[str], cause: str) -> Report:
    report = check_may_triage(session, actor, report_id, "root_cause")
    raise_if(root_cause_problems(whys, cause))
    return report


def record_root_cause(session: Session, actor: Actor, report_id: int, whys: list[str], cause: str) -> Report:
    report = check_root_cause(session, actor, report_id, whys, cause)
    whys = _whys(whys)
    report.root_cause_whys, report.root_cause = whys, cause.strip()
    events.stepped(session, report, timeline.record(
        session, report, actor, "root_cause", corrects=timeline.latest(session, report, "root_cause"),
        cause=report.root_cause, whys=len(whys)))
    clear_sign_offs(session, report, actor)
    close_if_complete(session, report)
    return report


def question_problems(question: str) -> dict[str, str]:
    problem = text_problem(question, "reports.invalid.question_missing")
    return {"text": problem} if problem else {}


def check_ask_reporter(session: Session, actor: Actor, report_id: int, question: str) -> Report:
    report = check_may_triage(session, actor, report_id, "ask_reporter")
    raise_if(question_problems(question))
    return report


def ask_reporter(session: Session, actor: Actor, report_id: int, question: str) -> Report:
    report = check_ask_reporter(session, actor, report_id, question)
    question = question.strip()
    entry = timeline.record(session, report, actor, "question", question=question)
    events.stepped(session, report, entry)
    return report


def answer_problems(answer: str) -> dict[str, str]:
    problem = text_problem(answer, "reports.invalid.answer_missing")
    return {"text": problem} if problem else {}


def check_answer(report: Report, actor: Actor | None, answer: str) -> None:
    if actor is not None and report.reporter_id != actor.id:
        raise ReportError("reports.error.not_reporter", reference=report.reference)
    require_open(report)
    raise_if(answer_problems(answer))


def answer_question(session: Session, report: Report, actor: Actor | None, answer: str) -> Report:
    """The reporter answers in the thread: by name, or anonymously (``actor`` None, found by follow code).

    A named answer must come from the reporter; the anonymous path has already proved itself with the code.
    """
    check_answer(report, actor, answer)
    answer = answer.strip()
    entry = timeline.record(session, report, actor, "answer", answer=answer, anonymous=actor is None)
    events.stepped(session, report, entry)
    return report


def sign_off(session: Session, actor: Actor, report_id: int) -> Report:
    """An owner of a tagged standard agrees the report may close, for the standards they own."""
    report = get(session, report_id)
    permissions.require(session, actor, "report.sign_off", report.reference,
                        any(actor.owns(tag.standard) for tag in report.standards), permissions.STANDARD_OWNERS)
    require_open(report)
    standards = permissions.standards_to_sign(actor, report)
    if report.status != ReportStatus.CLOSING or not closure.only_sign_offs(report):
        raise ReportError("reports.error.sign_off_early", reference=report.reference)
    if not standards:
        raise ReportError("reports.error.already_signed", reference=report.reference)
    now = clock.now()
    for tag in report.standards:
        if tag.standard in standards:
            tag.signed_off_by, tag.signed_off_at = actor.id, now
            events.stepped(session, report, timeline.record(session, report, actor, "signed_off",
                                                           standard=tag.standard.value))
    close_if_complete(session, report)
    return report


def clear_sign_offs(session: Session, report: Report, actor: Actor) -> None:
    """A sign-off counts for the state its owner saw: a new action or root cause asks for it again."""
    signed = [tag for tag in report.standards if tag.signed_off_at is not None]
    if not signed:
        return
    signers = sorted({p.slack_user_id for tag in signed if (p := session.get(Person, tag.signed_off_by))})
    for tag in signed:
        tag.signed_off_by = tag.signed_off_at = None
    events.stepped(session, report, timeline.record(session, report, actor, "sign_offs_cleared", people=signers))


# --- closing ---------------------------------------------------------------------------------------

def close_if_complete(session: Session, report: Report) -> None:
    live = [a for a in report.actions if a.status != ActionStatus.DECLINED]
    if report.status not in (ReportStatus.ACTION, ReportStatus.CLOSING) or not live \
            or any(a.status != ActionStatus.VERIFIED for a in live):
        return
    gaps = closure.gaps(report)
    if gaps:
        if report.status != ReportStatus.CLOSING:
            report.status = ReportStatus.CLOSING
            events.stepped(session, report, timeline.record(
                session, report, None, "closing", missing=[[gap, standard.value if standard else None]
                                                           for gap, standard in gaps]))
        followup.follow_up(session, report)  # only sign-offs left: each owner is asked now
        return
    report.status, report.closed_at = ReportStatus.CLOSED, clock.now()
    followups.forget(session, report.id)  # every chain of the report and its actions is settled
    events.stepped(session, report, timeline.record(session, report, None, "closed"))
