"""The register's modal and the procedure form (prompts/blocks/procedure_register.yml.j2, procedure_form.yml.j2),
and the reading of what the form sends back.

The form's block ids are the fields bot/procedures/rules.py names its problems by, so each problem shows inline
under its field. A check question has three places (slots) in the form, ``q1_`` to ``q3_``; the rules count only
the questions written, so ``on_blocks`` puts their problems back under the slot each came from.
"""
from __future__ import annotations

from datetime import date
from itertools import zip_longest
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.i18n import Reader, day, plain, render, text
from bot.org.people import Actor
from bot.org.rules import Problem
from bot.procedures import permissions, rules, service
from bot.procedures.values import AUDIENCE_ROLES, Audience, DraftForm, ProcedureDraft, QuestionDraft, VersionRef
from bot.reports.timeline import due_datetime
from storage.models import Department, Procedure, ProcedureStatus, ProcedureVersion, Role, Site, Standard

REGISTER = "procedures_register_view"
FORM = "procedures_register_form"
NEW, EDIT, PUBLISH = "procedures_register_new", "procedures_register_edit", "procedures_register_publish"
REVISE_MAJOR, REVISE_MINOR = "procedures_register_revise_major", "procedures_register_revise_minor"
RETIRE = "procedures_register_retire"
SHOWN = 40  # procedures listed: a line and a row of buttons each, within a modal's 100 blocks
OPTIONS_MAX = 100  # a select's
SLOTS = range(1, rules.QUESTIONS_MAX + 1)
HINTED = frozenset({"code", "version", "owner", "clauses", "document_url", "audience", "review_by", "renew_months",
                    "deadline_days"})  # the fields with a hint of their own (procedure_form.field.<id>_hint)
NOTED = frozenset({"audience", "questions"})  # the headings with a note under them
QUESTION_HINTS = {"choices_en": "choices_hint", "choices_zh": "choices_hint", "explanation_en": "explanation_hint",
                  "explanation_zh": "explanation_hint"}
QUESTION_FIELDS = ("prompt_en", "prompt_zh", "choices_en", "choices_zh", "answer", "explanation_en",
                   "explanation_zh")


# --- the register ------------------------------------------------------------------------------------------------

def manages_any(session: Session, actor: Actor) -> bool:
    """Whether the register has anything for this person to do: create, or manage a procedure they own."""
    return permissions.may_create(actor) or session.scalar(
        select(Procedure.id).where(Procedure.owner_id == actor.id).limit(1)) is not None


def register_view(session: Session, actor: Actor) -> dict[str, Any]:
    """Every procedure, those the reader may manage first (a long register shows only the first ``SHOWN``)."""
    today = service.today(session)
    rows = [_row(actor, p, today) for p in session.scalars(
        select(Procedure).options(selectinload(Procedure.versions)).order_by(Procedure.code))]
    rows.sort(key=lambda row: not row["buttons"])  # stable: by code within each
    return render("procedure_register", actor.reader, callback_id=REGISTER,
                  new=NEW if permissions.may_create(actor) else None, rows=rows[:SHOWN],
                  more=max(0, len(rows) - SHOWN))


def _row(actor: Actor, procedure: Procedure, today: date) -> dict[str, Any]:
    current, draft = service.in_force(procedure), service.draft_of(procedure)
    done = [v for v in procedure.versions if v.status != ProcedureStatus.DRAFT]
    newest = current or max(done, key=lambda v: rules.version_key(v.version), default=None)
    named = newest or service.latest(procedure)  # its title and state stand for the procedure
    buttons: list[dict[str, Any]] = []
    if permissions.may_manage(actor, procedure, current or named):
        if draft is not None:
            buttons += [_button("edit", EDIT, draft), _button("publish", PUBLISH, draft)]
        elif current is not None:
            buttons += [_button("revise_major", REVISE_MAJOR, current), _button("revise_minor", REVISE_MINOR, current)]
        if current is not None:
            buttons.append(_button("retire", RETIRE, current))
    review_by = named.review_by if named.status in (ProcedureStatus.PUBLISHED, ProcedureStatus.DRAFT) else None
    return {"code": procedure.code, "title": named.title(actor.lang), "state": named.status.value,
            "version": named.version, "draft": draft.version if draft else None,
            "review_by": day(due_datetime(review_by), actor.reader) if review_by else None,
            "overdue": current is not None and review_by is not None and review_by < today, "buttons": buttons,
            "block_id": f"procedure:{procedure.id}"}


def _button(kind: str, action_id: str, version: ProcedureVersion) -> dict[str, Any]:
    return {"kind": kind, "action_id": action_id, "value": VersionRef(version.id).encode(),
            "version": version.version}


# --- the procedure form ------------------------------------------------------------------------------------------

def procedure_form(session: Session, actor: Actor, row: ProcedureVersion | None) -> dict[str, Any]:
    """The form for a new procedure (``row`` None) or for the draft ``row``."""
    reader = actor.reader
    draft = service.draft_from(session, row) if row is not None else _blank(session, actor)
    revision = row is not None and any(v.status != ProcedureStatus.DRAFT for v in row.procedure.versions)
    if row is None:
        intro = text(reader, "procedure_form.intro_new")
    else:
        current = service.in_force(row.procedure)
        intro = text(reader, "procedure_form.intro_edit", code=draft.code, version=row.version,
                     in_force=current.version if current else None)
    fields = [_heading(reader, "document"),
              *([] if row is not None else [_input(reader, "code", _text(None, rules.CODE_MAX), optional=False)]),
              _input(reader, "version", _text(draft.version, 7), optional=False),
              *_texts(reader, draft),
              _input(reader, "owner", _person(draft.owner), optional=False),
              _input(reader, "standards", _choices(reader, "checkboxes", [
                  (plain(reader, f"common.standard.{s.value}"), s.value) for s in Standard],
                  [s.value for s in draft.standards]), optional=False),
              _input(reader, "clauses", _text(draft.clauses, rules.CLAUSES_MAX)),
              _input(reader, "document_url", _url(draft.document_url)),
              *_audience(session, reader, draft.audience),
              _heading(reader, "change" if revision else "dates"),
              *_change(reader, draft, revision),
              _input(reader, "effective_on", _date(draft.effective_on), optional=False),
              _input(reader, "review_by", _date(draft.review_by)),
              _input(reader, "renew_months", _number(draft.renew_months, rules.RENEW_MAX)),
              _input(reader, "deadline_days", _number(draft.deadline_days, rules.DEADLINE_MAX), optional=False),
              *_questions(reader, draft.questions or ())]
    title = "procedure_form.title_new" if row is None else "procedure_form.title_edit"
    return render("procedure_form", reader, callback_id=FORM, metadata=DraftForm(row.procedure.code if row else None)
                  .encode(), title=plain(reader, title), intro=intro, fields=fields)


def _blank(session: Session, actor: Actor) -> ProcedureDraft:
    return ProcedureDraft(code="", version="1.0", title_en="", title_zh="", summary_en="", summary_zh="",
                          owner=actor.slack_user_id, standards=tuple(actor.owned_standards), audience=Audience(),
                          effective_on=service.today(session))


def _texts(reader: Reader, draft: ProcedureDraft) -> list[dict[str, Any]]:
    return [_input(reader, "title_en", _text(draft.title_en, rules.TITLE_MAX), optional=False),
            _input(reader, "title_zh", _text(draft.title_zh, rules.TITLE_MAX), optional=False),
            _input(reader, "summary_en", _text(draft.summary_en, rules.SUMMARY_MAX, multiline=True), optional=False,
                   hint="summary_hint"),
            _input(reader, "summary_zh", _text(draft.summary_zh, rules.SUMMARY_MAX, multiline=True), optional=False,
                   hint="summary_hint")]


def _audience(session: Session, reader: Reader, audience: Audience) -> list[dict[str, Any]]:
    departments = [(d.name(reader.lang), d.code) for d in session.scalars(
        select(Department).order_by(Department.code).limit(OPTIONS_MAX))]
    sites = [(s.name(reader.lang), s.code)
             for s in session.scalars(select(Site).order_by(Site.code).limit(OPTIONS_MAX))]
    roles = [(plain(reader, f"procedure_form.role.{r.value}"), r.value) for r in AUDIENCE_ROLES]
    fields = [_heading(reader, "audience"),
              _input(reader, "audience", _choices(reader, "checkboxes", [
                  (plain(reader, "procedure_form.field.everyone"), "everyone")], ["everyone"] if audience.everyone
                  else []))]
    for block_id, options, chosen in (("departments", departments, audience.departments),
                                      ("roles", roles, [r.value for r in audience.roles]),
                                      ("sites", sites, audience.sites)):
        if options:  # a select needs an option
            fields.append(_input(reader, block_id, _choices(reader, "multi_static_select", options, list(chosen))))
    return fields


def _change(reader: Reader, draft: ProcedureDraft, revision: bool) -> list[dict[str, Any]]:
    if not revision:
        return []
    kinds = [(plain(reader, "procedure_form.field.major_yes"), "major"),
             (plain(reader, "procedure_form.field.major_no"), "minor")]
    return [_input(reader, "major", _choices(reader, "radio_buttons", kinds, ["major" if draft.major else "minor"]),
                   optional=False),
            _input(reader, "change_note_en", _text(draft.change_note_en, rules.NOTE_MAX, multiline=True),
                   optional=False, hint="change_note_hint"),
            _input(reader, "change_note_zh", _text(draft.change_note_zh, rules.NOTE_MAX, multiline=True),
                   optional=False, hint="change_note_hint")]


def _questions(reader: Reader, questions: tuple[QuestionDraft, ...]) -> list[dict[str, Any]]:
    fields = [_heading(reader, "questions")]
    answers = [(plain(reader, "procedure_form.answer_option", n=n), str(n)) for n in range(1, rules.CHOICES_MAX + 1)]
    for slot in SLOTS:
        q = questions[slot - 1] if slot <= len(questions) else _NO_QUESTION
        written = {"prompt_en": q.prompt_en, "prompt_zh": q.prompt_zh, "explanation_en": q.explanation_en,
                   "explanation_zh": q.explanation_zh, "choices_en": "\n".join(en for en, _ in q.choices),
                   "choices_zh": "\n".join(zh for _, zh in q.choices)}
        elements = {
            "prompt_en": _text(written["prompt_en"], rules.QUESTION_MAX),
            "prompt_zh": _text(written["prompt_zh"], rules.QUESTION_MAX),
            "choices_en": _text(written["choices_en"], _CHOICES_TEXT, multiline=True),
            "choices_zh": _text(written["choices_zh"], _CHOICES_TEXT, multiline=True),
            "answer": _choices(reader, "static_select", answers, [str(q.answer + 1)]),
            "explanation_en": _text(written["explanation_en"], rules.EXPLANATION_MAX, multiline=True),
            "explanation_zh": _text(written["explanation_zh"], rules.EXPLANATION_MAX, multiline=True)}
        fields.append(_heading(reader, "question", n=slot))
        fields += [_input(reader, f"q{slot}_{name}", element, label=name, hint=QUESTION_HINTS.get(name))
                   for name, element in elements.items()]
    return fields


_NO_QUESTION = QuestionDraft("", "", (), -1, "", "")
_CHOICES_TEXT = rules.CHOICES_MAX * (rules.CHOICE_MAX + 1)  # four answers of a line each


def _heading(reader: Reader, name: str, **values: Any) -> dict[str, Any]:
    return {"heading": plain(reader, f"procedure_form.heading.{name}", **values),
            "note": text(reader, f"procedure_form.note.{name}") if name in NOTED else None}


def _input(reader: Reader, block_id: str, element: dict[str, Any], *, optional: bool = True,
           label: str | None = None, hint: str | None = None) -> dict[str, Any]:
    hint = hint or (f"{block_id}_hint" if block_id in HINTED else None)
    return {"heading": None, "block_id": block_id, "optional": optional,
            "label": plain(reader, f"procedure_form.field.{label or block_id}"),
            "hint": plain(reader, f"procedure_form.field.{hint}") if hint else None,
            "element": {"action_id": "value", **element}}


def _text(initial: str | None, limit: int, *, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    return element


def _person(initial: str) -> dict[str, Any]:
    return {"type": "users_select", **({"initial_user": initial} if initial else {})}


def _url(initial: str | None) -> dict[str, Any]:
    return {"type": "url_text_input", **({"initial_value": initial} if initial else {})}


def _date(initial: date | None) -> dict[str, Any]:
    return {"type": "datepicker", **({"initial_date": initial.isoformat()} if initial else {})}


def _number(initial: int | None, most: int) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": False, "min_value": "1",
                               "max_value": str(most)}
    if initial is not None:
        element["initial_value"] = str(initial)
    return element


def _choices(reader: Reader, kind: str, options: list[tuple[str, str]], chosen: list[str]) -> dict[str, Any]:
    listed = [_option(label, value) for label, value in options[:OPTIONS_MAX]]
    initial = [o for o in listed if o["value"] in chosen]
    element: dict[str, Any] = {"type": kind, "options": listed}
    if kind == "multi_static_select":
        element["placeholder"] = {"type": "plain_text", "text": plain(reader, "procedure_form.choose")}
    if initial and kind in ("checkboxes", "multi_static_select"):
        element["initial_options"] = initial
    elif initial:
        element["initial_option"] = initial[0]
    return element


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:75], "emoji": True}, "value": value}


# --- reading what it sends -----------------------------------------------------------------------------------------

def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    found = (values.get(block_id) or {}).get("value")
    return found if isinstance(found, dict) else {}


def _string(values: dict[str, Any], block_id: str) -> str:
    element = _element(values, block_id)
    found = next((element[k] for k in ("value", "selected_user", "selected_date") if k in element), None)
    if found is None and isinstance(element.get("selected_option"), dict):
        found = element["selected_option"].get("value")
    return found.strip() if isinstance(found, str) else ""


def _options(values: dict[str, Any], block_id: str) -> list[str]:
    chosen = _element(values, block_id).get("selected_options") or []
    return [o["value"] for o in chosen if isinstance(o, dict) and isinstance(o.get("value"), str)]


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _whole(raw: str, unreadable: int) -> int | None:
    """A number field: None when empty; ``unreadable`` (out of every range) when it is not a whole number."""
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 6 else unreadable


def filled_slots(values: dict[str, Any]) -> list[int]:
    """The question slots with anything written in them, in order."""
    return [slot for slot in SLOTS if any(_string(values, f"q{slot}_{f}") for f in QUESTION_FIELDS)]


def _question(values: dict[str, Any], slot: int) -> QuestionDraft:
    def lines(block_id: str) -> list[str]:
        return [line.strip() for line in _string(values, block_id).splitlines() if line.strip()]

    answer = _string(values, f"q{slot}_answer")
    return QuestionDraft(
        prompt_en=_string(values, f"q{slot}_prompt_en"), prompt_zh=_string(values, f"q{slot}_prompt_zh"),
        choices=tuple(zip_longest(lines(f"q{slot}_choices_en"), lines(f"q{slot}_choices_zh"), fillvalue="")),
        answer=int(answer) - 1 if answer.isdigit() and len(answer) < 3 else -1,
        explanation_en=_string(values, f"q{slot}_explanation_en"),
        explanation_zh=_string(values, f"q{slot}_explanation_zh"))


def read_form(values: dict[str, Any], meta: DraftForm | None) -> ProcedureDraft:
    code = meta.code if meta is not None and meta.code else _string(values, "code").upper()
    roles = {r.value: r for r in Role}
    audience = Audience(everyone="everyone" in _options(values, "audience"),
                        departments=tuple(_options(values, "departments")),
                        roles=tuple(roles[r] for r in _options(values, "roles") if r in roles),
                        sites=tuple(_options(values, "sites")))
    if audience.everyone:
        audience = Audience(everyone=True)
    standards = {s.value: s for s in Standard}
    return ProcedureDraft(
        code=code, version=_string(values, "version"), title_en=_string(values, "title_en"),
        title_zh=_string(values, "title_zh"), summary_en=_string(values, "summary_en"),
        summary_zh=_string(values, "summary_zh"), owner=_string(values, "owner"),
        standards=tuple(standards[s] for s in _options(values, "standards") if s in standards), audience=audience,
        effective_on=_day(_string(values, "effective_on")), clauses=_string(values, "clauses") or None,
        document_url=_string(values, "document_url") or None,
        change_note_en=_string(values, "change_note_en") or None,
        change_note_zh=_string(values, "change_note_zh") or None,
        major=_string(values, "major") != "minor", review_by=_day(_string(values, "review_by")),
        renew_months=_whole(_string(values, "renew_months"), 0),
        deadline_days=_whole(_string(values, "deadline_days"), 0) or 0,
        questions=tuple(_question(values, slot) for slot in filled_slots(values)))


def on_blocks(problems: dict[str, Problem], values: dict[str, Any]) -> dict[str, Problem]:
    """The rules' problems under the form's blocks: a question's under its slot, the answers' under the English
    ones; anything about a field the form does not show (none should be) under the version, so it is seen."""
    slots = filled_slots(values)
    placed: dict[str, Problem] = {}
    for field, found in problems.items():
        block = field
        if field[:1] == "q" and field[1:2].isdigit() and field[2:3] == "_":
            n = int(field[1])
            block = f"q{slots[n - 1] if n <= len(slots) else n}_{field[3:]}"
            block = f"{block}_en" if block.endswith("_choices") else block
        placed.setdefault(block if block in values else "version", found)
    return placed
