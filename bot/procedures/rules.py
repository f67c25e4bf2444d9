"""The one set of checks for a procedure version, shared by `/procedures` in Slack and the register file.

Each problem is a ``Problem`` under ``procedures.invalid``, keyed by the field it is about, so Slack shows it inline
and the file names it in English with its line. Nothing here writes.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.org.rules import Problem
from bot.procedures.values import ProcedureDraft, QuestionDraft
from storage.models import Department, Person, Procedure, ProcedureStatus, ProcedureVersion, Site

CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})$")
URL = re.compile(r"^https?://[^\s<>|]+$")
CODE_MAX, TITLE_MAX, SUMMARY_MAX, NOTE_MAX, CLAUSES_MAX, URL_MAX = 40, 150, 1500, 1000, 200, 500
QUESTION_MAX, CHOICE_MAX, EXPLANATION_MAX = 300, 75, 500  # a choice is a radio button's label (75)
QUESTIONS_MAX, CHOICES_MIN, CHOICES_MAX = 3, 2, 4
RENEW_MAX, DEADLINE_MAX = 120, 365


def problem(key: str, **values: object) -> Problem:
    return Problem(key, dict(values), area="procedures.invalid")


def version_key(version: str) -> tuple[int, int]:
    found = VERSION.match(version)
    return (int(found.group(1)), int(found.group(2))) if found else (-1, -1)


def next_version(version: str, *, major: bool) -> str:
    high, low = version_key(version)
    return f"{high + 1}.0" if major else f"{high}.{low + 1}"


def _text(problems: dict[str, Problem], field: str, value: str | None, limit: int, *, required: bool = True) -> None:
    written = (value or "").strip()
    if not written:
        if required:
            problems[field] = problem("missing")
    elif len(written) > limit:
        problems[field] = problem("long", limit=limit, length=len(written))


def check_draft(session: Session, draft: ProcedureDraft) -> dict[str, Problem]:
    """Every problem of the draft on its own and against the register; {} when it may be saved as a draft."""
    problems: dict[str, Problem] = {}
    if not CODE.match(draft.code) or len(draft.code) > CODE_MAX:
        problems["code"] = problem("code", value=draft.code)
    if not VERSION.match(draft.version):
        problems["version"] = problem("version", value=draft.version)
    for field, value, limit in (("title_en", draft.title_en, TITLE_MAX), ("title_zh", draft.title_zh, TITLE_MAX),
                                ("summary_en", draft.summary_en, SUMMARY_MAX),
                                ("summary_zh", draft.summary_zh, SUMMARY_MAX)):
        _text(problems, field, value, limit)
    for field, optional, limit in (("change_note_en", draft.change_note_en, NOTE_MAX),
                                   ("change_note_zh", draft.change_note_zh, NOTE_MAX),
                                   ("clauses", draft.clauses, CLAUSES_MAX)):
        _text(problems, field, optional, limit, required=False)
    if not session.scalar(select(Person.id).where(Person.slack_user_id == draft.owner)):
        problems["owner"] = problem("owner", value=draft.owner)
    if not draft.standards:
        problems["standards"] = problem("standards")
    problems.update(_audience(session, draft))
    if draft.document_url and (len(draft.document_url) > URL_MAX or not URL.match(draft.document_url)):
        problems["document_url"] = problem("url", value=draft.document_url[:100])
    if draft.effective_on is None:
        problems["effective_on"] = problem("missing")
    if draft.review_by is not None and draft.effective_on is not None and draft.review_by <= draft.effective_on:
        problems["review_by"] = problem("review_before_effective")
    if draft.renew_months is not None and not 1 <= draft.renew_months <= RENEW_MAX:
        problems["renew_months"] = problem("months", limit=RENEW_MAX)
    if not 1 <= draft.deadline_days <= DEADLINE_MAX:
        problems["deadline_days"] = problem("days", limit=DEADLINE_MAX)
    for n, question in enumerate(draft.questions or (), start=1):
        for field, found in check_question(question).items():
            problems.setdefault(f"q{n}_{field}", found)
    if draft.questions is not None and len(draft.questions) > QUESTIONS_MAX:
        problems["questions"] = problem("questions", limit=QUESTIONS_MAX)
    if "code" not in problems and "version" not in problems:
        problems.update(_against_register(session, draft))
    return problems


def check_question(question: QuestionDraft) -> dict[str, Problem]:
    problems: dict[str, Problem] = {}
    _text(problems, "prompt_en", question.prompt_en, QUESTION_MAX)
    _text(problems, "prompt_zh", question.prompt_zh, QUESTION_MAX)
    _text(problems, "explanation_en", question.explanation_en, EXPLANATION_MAX)
    _text(problems, "explanation_zh", question.explanation_zh, EXPLANATION_MAX)
    if not CHOICES_MIN <= len(question.choices) <= CHOICES_MAX:
        problems["choices"] = problem("choices", least=CHOICES_MIN, most=CHOICES_MAX)
    else:
        for en, zh in question.choices:
            if not en.strip() or not zh.strip():
                problems["choices"] = problem("choice_missing")
            elif max(len(en), len(zh)) > CHOICE_MAX:
                problems["choices"] = problem("long", limit=CHOICE_MAX, length=max(len(en), len(zh)))
        if len({en.strip().casefold() for en, _ in question.choices}) < len(question.choices):
            problems.setdefault("choices", problem("choices_twice"))
        if not 0 <= question.answer < len(question.choices):
            problems["answer"] = problem("answer", most=len(question.choices))
    return problems


def _audience(session: Session, draft: ProcedureDraft) -> dict[str, Problem]:
    audience = draft.audience
    if audience.empty:
        return {"audience": problem("audience_empty")}
    problems: dict[str, Problem] = {}
    for field, model, codes in (("departments", Department, audience.departments), ("sites", Site, audience.sites)):
        known = set(session.scalars(select(model.code)))
        unknown = [c for c in codes if c not in known]
        if unknown:
            problems[field] = problem(f"{field}_unknown", value=", ".join(unknown),
                                      known=", ".join(sorted(known)) or "-")
    return problems


def _against_register(session: Session, draft: ProcedureDraft) -> dict[str, Problem]:
    """A version of a code is written once: a draft may change until it is published, never after."""
    procedure = session.scalar(select(Procedure).where(Procedure.code == draft.code))
    if procedure is None:
        return {}
    same = next((v for v in procedure.versions if v.version == draft.version), None)
    if same is not None and same.status != ProcedureStatus.DRAFT:
        return {"version": problem(f"version_{same.status.value}", code=draft.code, version=draft.version)}
    newest = max((v for v in procedure.versions if v.status != ProcedureStatus.DRAFT),
                 key=lambda v: version_key(v.version), default=None)
    problems: dict[str, Problem] = {}
    if newest is not None and version_key(draft.version) <= version_key(newest.version):
        problems["version"] = problem("version_not_after", code=draft.code, version=draft.version,
                                      newest=newest.version)
    if newest is not None and not (draft.change_note_en or "").strip():
        problems["change_note_en"] = problem("change_note_missing")
    if newest is not None and not (draft.change_note_zh or "").strip():
        problems["change_note_zh"] = problem("change_note_missing")
    return problems


def check_publish(session: Session, version: ProcedureVersion, today: date, audience_size: int) -> dict[str, Problem]:
    """What stops a saved draft from being published (its fields were checked when it was saved)."""
    problems: dict[str, Problem] = {}
    if not version.document_url and not version.document_file:
        problems["document_url"] = problem("document_missing")
    if audience_size == 0:
        problems["audience"] = problem("audience_nobody")
    return problems
