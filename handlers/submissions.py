"""Form submissions answered as early as Slack allows, saved after the answer.

Every form but the report form (handlers/reports/views.py) goes the same way:
1. its values alone are checked: problems stay in the form, inline, and nothing is read or written;
2. a read (no write lock, so the answer never queues behind a writer) checks who may send it and
   that what it changes still accepts it: problems inline again, a refusal replaces the form with the
   reason (its audit row is written after the answer);
3. the answer: the form closes (a pushed set-up form returns to the page beneath);
4. the save, in its own short transaction, runs the same checks again under the write's lock. When
   something changed in between (someone else triaged the report, it was closed), nothing is saved,
   and the person is told so by DM, in their language, with what they wrote.

A submission is saved at most once: Slack may deliver it twice and people double-click. Its key
(the view and the values sent) is claimed in the same transaction as the save.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, clock, outbox
from bot.i18n import Reader, text
from bot.org.people import Actor
from bot.org.rules import Invalid
from bot.reports.errors import InvalidInput, ReportError
from bot.runtime import Runtime
from handlers.errors import typed_words
from handlers.payload import state_values
from handlers.reports.common import explain, inline_errors, notice_view
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

Step = Callable[[Session, Actor, Any, dict[str, Any]], Any]  # (session, actor, the form's meta, its values)
PROBLEMS = (InvalidInput, Invalid)  # fields to fix: the reports' and the set-up's


@dataclass(frozen=True)
class Form:
    """``meta`` decodes the form's private_metadata (bot/values.py; None if it is not one), which
    ``check`` and ``save`` get; ``fields(actor, values)`` raises the problems the values alone show; ``check``
    reads and raises; ``save`` checks again and writes; ``saved(runtime, actor, view, result)`` runs after a
    save (no transaction)."""

    check: Step
    save: Step
    meta: Callable[[Any], Any] = lambda raw: None
    fields: Callable[[Actor, dict[str, Any]], None] = lambda actor, values: None
    saved: Callable[[Runtime, Actor, dict[str, Any], Any], None] | None = None
    problems_as_notice: bool = False  # a form with no field to point at (a confirmation) says them instead


def register(app: App, runtime: Runtime, callback_id: str, form: Form) -> None:
    @app.view(callback_id)
    def submitted(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        actor: Actor = context["actor"]
        meta, values = form.meta(view.get("private_metadata")), state_values(view)
        key = submission_key(view, values)
        refusal: ReportError | None = None
        decisions: list[audit.Decision] = []
        try:
            form.fields(actor, values)
            with runtime.db.read() as s:
                saved_before = _claimed(s, key)
                try:
                    if not saved_before:
                        form.check(s, actor, meta, values)
                except ReportError as exc:
                    refusal, decisions = exc, audit.deferred(s)
        except PROBLEMS as exc:
            problems = field_errors(actor.reader, exc)
            if form.problems_as_notice:
                ack(response_action="update", view=notice_view(actor.reader, "\n".join(problems.values())))
            else:
                ack(response_action="errors", errors=problems)
            return
        if saved_before:  # delivered again after it was saved: it closes, nothing more
            ack()
            return
        if refusal is not None:
            ack(response_action="update", view=notice_view(actor.reader, explain(actor.reader, refusal)))
            if decisions:
                with runtime.db.session() as s:  # the refusal is recorded, after the answer
                    for decision in decisions:
                        audit.write(s, decision)
            return
        ack()
        saved, result = save_once(runtime, form, actor, body, key)
        if saved and form.saved is not None:
            form.saved(runtime, actor, view, result)


def save_once(runtime: Runtime, form: Form, actor: Actor, body: dict[str, Any], key: str) -> tuple[bool, Any]:
    """Save a submission once; (False, None) when it was saved before or could not be saved (then told)."""
    view = body["view"]
    meta, values = form.meta(view.get("private_metadata")), state_values(view)
    try:
        with runtime.db.session() as s:
            # Claimed first: a twin delivered meanwhile waits here for this one (PostgreSQL), or has
            # already committed (SQLite takes turns from BEGIN), and finds the key taken.
            s.add(ProcessedEvent(event_id=key, received_at=clock.now()))
            s.flush()
            try:
                return True, form.save(s, actor, meta, values)
            except (ReportError, *PROBLEMS) as exc:  # changed in between: nothing saved but the audit row
                tell_not_saved(s, actor, body, key, _reason(actor.reader, exc))
                return False, None
    except IntegrityError:
        with runtime.db.read() as s:
            if not _claimed(s, key):
                raise
        log.info("form %s already saved: a repeated delivery changed nothing", view.get("callback_id"))
        return False, None


def submission_key(view: dict[str, Any], values: dict[str, Any]) -> str:
    """The same view sent with the same values: one submission, however often it arrives."""
    raw = json.dumps([view.get("id"), values], sort_keys=True, default=str)
    return "form:" + hashlib.sha256(raw.encode()).hexdigest()[:56]


def _claimed(session: Session, key: str) -> bool:
    return session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == key)) is not None


def field_errors(reader: Reader, error: Exception) -> dict[str, str]:
    if isinstance(error, InvalidInput):
        return inline_errors(reader, error)
    assert isinstance(error, Invalid)
    return {field: problem.describe(reader) for field, problem in error.problems.items()}


def _reason(reader: Reader, error: Exception) -> str:
    if isinstance(error, ReportError):
        return explain(reader, error)
    return " ".join(field_errors(reader, error).values())


def tell_not_saved(session: Session, actor: Actor, body: dict[str, Any], key: str, reason: str) -> None:
    """The form closed at its answer, so the DM gives back what was written in it."""
    view = body.get("view") or {}
    title = (view.get("title") or {}).get("text") or ""
    words = "\n".join(typed_words(body))[:2500]
    outbox.post(session, f"not-saved:{key}", actor.slack_user_id,
                {"text": text(actor.reader, "common.error.form_not_saved", form=title, reason=reason, words=words)})
