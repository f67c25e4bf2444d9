"""The register's steps: save a draft, publish, revise, retire. One function per step, given a session and the
person acting (None: the register file, loaded by whoever runs the command on the server).

Each step checks first (bot/procedures/rules.py, permissions.py) and changes nothing when it refuses; what it
changes is written to the evidence log in the same unit of work, with the DMs it owes (distribution.py).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.events import Dm, announce
from bot.evidence import log as evidence
from bot.i18n import zone
from bot.org import people
from bot.org.people import Actor
from bot.org.rules import Invalid
from bot.procedures import distribution, permissions, rules
from bot.procedures.events import PublishedNotice, Retired
from bot.procedures.values import Audience, ProcedureDraft, QuestionDraft
from bot.reports.errors import ReportError
from storage.models import (
    Acknowledgment,
    AckStatus,
    Person,
    Procedure,
    ProcedureQuestion,
    ProcedureStatus,
    ProcedureVersion,
    Question,
)

DOMAIN = "procedures"  # the evidence log's


def today(session: Session) -> date:
    return clock.now().astimezone(zone(people.settings_of(session).timezone)).date()


def find(session: Session, code: str) -> Procedure | None:
    return session.scalar(select(Procedure).where(Procedure.code == code))


def get(session: Session, code: str) -> Procedure:
    procedure = find(session, code.strip().upper())
    if procedure is None:
        raise ReportError("procedures.error.unknown_code", code=code[:40])
    return procedure


def version(session: Session, version_id: int) -> ProcedureVersion:
    found = session.get(ProcedureVersion, version_id)
    if found is None:
        raise ReportError("procedures.error.gone")
    return found


def in_force(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in procedure.versions if v.status == ProcedureStatus.PUBLISHED), None)


def draft_of(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in procedure.versions if v.status == ProcedureStatus.DRAFT), None)


def latest(procedure: Procedure) -> ProcedureVersion:
    return max(procedure.versions, key=lambda v: (rules.version_key(v.version), v.id))


def register(session: Session) -> list[Procedure]:
    return list(session.scalars(select(Procedure).order_by(Procedure.code)))


# --- a draft -------------------------------------------------------------------------------------------------------

def check(session: Session, actor: Actor | None, draft: ProcedureDraft, step: str = "save_draft") -> None:
    """Raise what stops the draft being saved: a refusal (audited), or the fields to fix."""
    procedure = find(session, draft.code)
    if actor is not None:
        sample = ProcedureVersion(standards=[s.value for s in draft.standards])
        existing = in_force(procedure) if procedure is not None else None
        allowed = permissions.may_manage(actor, procedure, existing or sample) or (
            procedure is None and permissions.may_create(actor) and permissions.may_manage(actor, None, sample))
        permissions.require(session, actor, step, draft.code[:64] or None, allowed, permissions.MANAGERS)
    problems = rules.check_draft(session, draft)
    if problems:
        raise Invalid(problems)


def save_draft(session: Session, actor: Actor | None, draft: ProcedureDraft) -> ProcedureVersion:
    """Create the procedure and its draft version, or change the draft of that version."""
    check(session, actor, draft)
    now = clock.now()
    owner = session.scalars(select(Person).where(Person.slack_user_id == draft.owner)).one()
    procedure = find(session, draft.code)
    if procedure is None:
        procedure = Procedure(code=draft.code, owner_id=owner.id, created_at=now)
        session.add(procedure)
    procedure.owner_id = owner.id
    row = next((v for v in procedure.versions if v.version == draft.version), None)
    created = row is None
    if row is None:
        other = draft_of(procedure)
        if other is not None:  # one draft per code: a new version number renames it
            row = other
        else:
            row = ProcedureVersion(status=ProcedureStatus.DRAFT, created_at=now,
                                   created_by=actor.id if actor else None)
            procedure.versions.append(row)
    _fill(session, row, draft)
    session.flush()
    evidence.append(session, DOMAIN, "procedure_draft_saved", actor_id=actor.id if actor else None,
                    subject=f"{draft.code} {draft.version}", detail={"created": created, "content": content(row)})
    return row


def _fill(session: Session, row: ProcedureVersion, draft: ProcedureDraft) -> None:
    row.version = draft.version
    row.title_en, row.title_zh = draft.title_en.strip(), draft.title_zh.strip()
    row.summary_en, row.summary_zh = draft.summary_en.strip(), draft.summary_zh.strip()
    row.standards = [s.value for s in draft.standards]
    row.clauses = (draft.clauses or "").strip() or None
    row.audience = draft.audience.stored()
    row.document_url = draft.document_url or None
    row.change_note_en = (draft.change_note_en or "").strip() or None
    row.change_note_zh = (draft.change_note_zh or "").strip() or None
    row.major, row.effective_on, row.review_by = draft.major, draft.effective_on or today(session), draft.review_by
    row.renew_months, row.deadline_days = draft.renew_months, draft.deadline_days
    if draft.questions is not None and [_question_values(q) for q in row.questions] != [
            _draft_values(q) for q in draft.questions]:
        row.checks.clear()
        session.flush()
        for position, q in enumerate(draft.questions):
            row.checks.append(ProcedureQuestion(position=position, question=Question(
                topic=draft.code, prompt_en=q.prompt_en.strip(), prompt_zh=q.prompt_zh.strip(),
                choices=[{"en": en.strip(), "zh": zh.strip()} for en, zh in q.choices], answer=q.answer,
                explanation_en=q.explanation_en.strip(), explanation_zh=q.explanation_zh.strip(),
                created_at=clock.now())))


def _question_values(q: Question) -> tuple[Any, ...]:
    return (q.prompt_en, q.prompt_zh, [(c["en"], c.get("zh") or "") for c in q.choices], q.answer,
            q.explanation_en, q.explanation_zh)


def _draft_values(q: QuestionDraft) -> tuple[Any, ...]:
    return (q.prompt_en.strip(), q.prompt_zh.strip(), [(en.strip(), zh.strip()) for en, zh in q.choices], q.answer,
            q.explanation_en.strip(), q.explanation_zh.strip())


def draft_from(session: Session, row: ProcedureVersion) -> ProcedureDraft:
    """A saved version as a draft again: the form's initial values, the file's export, a revision's start."""
    owner = session.get(Person, row.procedure.owner_id)
    return ProcedureDraft(
        code=row.procedure.code, version=row.version, title_en=row.title_en, title_zh=row.title_zh,
        summary_en=row.summary_en, summary_zh=row.summary_zh, owner=owner.slack_user_id if owner else "",
        standards=tuple(_standards(row)), audience=Audience.of(row.audience), effective_on=row.effective_on,
        clauses=row.clauses, document_url=row.document_url, change_note_en=row.change_note_en,
        change_note_zh=row.change_note_zh, major=row.major, review_by=row.review_by, renew_months=row.renew_months,
        deadline_days=row.deadline_days,
        questions=tuple(QuestionDraft(q.prompt_en, q.prompt_zh, tuple((c["en"], c.get("zh") or "") for c in q.choices),
                                      q.answer, q.explanation_en, q.explanation_zh) for q in row.questions))


def _standards(row: ProcedureVersion) -> list[Any]:
    from storage.models import Standard

    return [Standard(s) for s in row.standards]


def content(row: ProcedureVersion) -> dict[str, Any]:
    """What a version says, as plain JSON: hashed when it is published, so an acknowledgment names what was read."""
    return {"code": row.procedure.code, "version": row.version, "title": {"en": row.title_en, "zh": row.title_zh},
            "summary": {"en": row.summary_en, "zh": row.summary_zh}, "standards": list(row.standards),
            "clauses": row.clauses, "audience": row.audience, "document_url": row.document_url,
            "document_file": row.document_file, "change_note": {"en": row.change_note_en, "zh": row.change_note_zh},
            "major": row.major, "effective_on": row.effective_on.isoformat() if row.effective_on else None,
            "review_by": row.review_by.isoformat() if row.review_by else None, "renew_months": row.renew_months,
            "questions": [{"prompt": {"en": q.prompt_en, "zh": q.prompt_zh}, "choices": q.choices,
                           "answer": q.answer, "explanation": {"en": q.explanation_en, "zh": q.explanation_zh}}
                          for q in row.questions]}


def content_hash(row: ProcedureVersion) -> str:
    raw = json.dumps(content(row), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


# --- publishing ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    version: ProcedureVersion
    asked: int
    superseded: str | None


def check_publish(session: Session, actor: Actor | None, row: ProcedureVersion) -> int:
    """Raise what stops publishing this version; the size of its audience when nothing does."""
    if actor is not None:
        permissions.require(session, actor, "publish", _subject(row),
                            permissions.may_manage(actor, row.procedure, row), permissions.MANAGERS)
    if row.status != ProcedureStatus.DRAFT:
        raise ReportError(f"procedures.error.already_{row.status.value}", code=row.procedure.code,
                          version=row.version)
    size = distribution.audience_size(session, row)
    problems = rules.check_publish(session, row, today(session), size)
    if problems:
        raise Invalid(problems)
    return size


def publish(session: Session, actor: Actor | None, version_id: int) -> Published:
    row = version(session, version_id)
    check_publish(session, actor, row)
    now = clock.now()
    before = in_force(row.procedure)
    if before is not None:
        before.status = ProcedureStatus.SUPERSEDED
    row.status, row.published_at, row.published_by = ProcedureStatus.PUBLISHED, now, actor.id if actor else None
    if before is None:
        row.major = True  # a first version is read by everyone
    row.content_hash = content_hash(row)
    session.flush()
    evidence.append(session, DOMAIN, "procedure_published", actor_id=actor.id if actor else None,
                    subject=_subject(row), detail={"version_id": row.id, "content_hash": row.content_hash,
                                                   "major": row.major, "supersedes": before.version if before else None,
                                                   "content": content(row)})
    asked = distribution.distribute(session, row, "revised" if before is not None else "published")
    # They are at work: they just pressed Publish (the file's loader hears it on the command line).
    to = Dm(actor.id, f"procedure:{row.id}:published:{actor.id}") if actor is not None else None
    announce(session, PublishedNotice(row.id, to, asked, row.major, before is None))
    return Published(row, asked, before.version if before else None)


def _subject(row: ProcedureVersion) -> str:
    return f"{row.procedure.code} {row.version}"[:64]


# --- revising and retiring -----------------------------------------------------------------------------------------

def revise(session: Session, actor: Actor | None, code: str, *, major: bool) -> ProcedureVersion:
    """A new draft from the version in force, numbered after it (3.0 -> 4.0 major, 3.1 minor); its change note
    is to be written before it is published. The draft there already, if any, is returned as it is."""
    procedure = get(session, code)
    current = in_force(procedure)
    if actor is not None:
        permissions.require(session, actor, "revise", procedure.code,
                            permissions.may_manage(actor, procedure, current), permissions.MANAGERS)
    existing = draft_of(procedure)
    if existing is not None:
        return existing
    if current is None:
        raise ReportError("procedures.error.nothing_in_force", code=procedure.code)
    draft = draft_from(session, current)
    row = ProcedureVersion(status=ProcedureStatus.DRAFT, created_at=clock.now(),
                           created_by=actor.id if actor else None)
    _fill(session, row, draft)
    row.version, row.major = rules.next_version(current.version, major=major), major
    row.change_note_en = row.change_note_zh = None
    row.effective_on = today(session)
    procedure.versions.append(row)
    session.flush()
    evidence.append(session, DOMAIN, "procedure_revision_started", actor_id=actor.id if actor else None,
                    subject=_subject(row), detail={"from": current.version, "major": major})
    return row


def retire(session: Session, actor: Actor | None, code: str) -> ProcedureVersion:
    """Withdraw the version in force with no successor: nobody is asked to read it any more."""
    procedure = get(session, code)
    current = in_force(procedure)
    if actor is not None:
        permissions.require(session, actor, "retire", procedure.code,
                            permissions.may_manage(actor, procedure, current), permissions.MANAGERS)
    if current is None:
        raise ReportError("procedures.error.nothing_in_force", code=procedure.code)
    current.status, current.retired_at = ProcedureStatus.RETIRED, clock.now()
    pending = list(session.scalars(select(Acknowledgment).where(
        Acknowledgment.procedure_id == procedure.id, Acknowledgment.status == AckStatus.PENDING)))
    for ack in session.scalars(select(Acknowledgment).where(Acknowledgment.procedure_id == procedure.id)):
        ack.required = False
    session.flush()
    evidence.append(session, DOMAIN, "procedure_retired", actor_id=actor.id if actor else None,
                    subject=_subject(current), detail={"version_id": current.id, "pending": len(pending)})
    announce(session, Retired(current.id, tuple(a.id for a in pending)))
    return current
