"""Buttons on procedure cards, reminders, /procedures and coverage; and the reading form's submission.

Presses are acknowledged first; a step runs in one short transaction, and a refusal is told privately. A button
that opens a form reads first (no write lock) and opens it within the trigger's 3 s.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import audit, clock, outbox
from bot.i18n import Reader, text
from bot.org.people import Actor
from bot.procedures import acks, permissions, reminders, service
from bot.procedures.acks import Outcome, Result
from bot.procedures.values import CoverageRef, VersionRef
from bot.reports.errors import ReportError
from bot.runtime import Runtime
from handlers.payload import pressed_value, state_values
from handlers.procedures import cards, coverage, register, views
from handlers.reports.common import explain, notice_view, press, tell
from handlers.submissions import submission_key
from storage.models import ProcedureVersion, ProcessedEvent

log = logging.getLogger(__name__)


def answer(reader: Reader, result: Result) -> str:
    """What a person is told when their acknowledgment could not be (or already was) recorded."""
    version = result.version
    values: dict[str, Any] = {"code": version.procedure.code, "version": version.version}
    if result.outcome == Outcome.ALREADY and result.ack is not None:
        values["at"] = result.ack.acknowledged_at
    if result.outcome == Outcome.SUPERSEDED:
        values["old"] = result.pressed
    return str(text(reader, f"procedures.answer.{result.outcome.value}", **values))


def _open(runtime: Runtime, body: dict[str, Any], view: dict[str, Any]) -> None:
    """A form from a button: pushed over the modal it was pressed in, else opened."""
    if body.get("view") and (body.get("view") or {}).get("type") == "modal":
        runtime.gateway.push_view(body["trigger_id"], view)
    else:
        runtime.gateway.open_view(body["trigger_id"], view)


def open_coverage(runtime: Runtime, actor: Actor, trigger_id: str, *, respond: Callable[[str], object],
                  push: bool = False) -> None:
    with runtime.db.read() as s:
        allowed = permissions.may_see_coverage(actor)
        audit.record(s, actor.id, "procedure.coverage", None, allowed=allowed)
        view = coverage.coverage_view(s, actor, permissions.coverage_departments(actor)) if allowed else None
        decisions = audit.deferred(s)
    if view is None:
        respond(str(text(actor.reader, "procedures.coverage.refused", who=text(actor.reader, permissions.COVERAGE))))
        with runtime.db.session() as s:
            for decision in decisions:
                audit.write(s, decision)
        return
    (runtime.gateway.push_view if push else runtime.gateway.open_view)(trigger_id, view)


def register_actions(app: App, runtime: Runtime) -> None:
    def version_of(body: dict[str, Any]) -> VersionRef | None:
        return VersionRef.decode(pressed_value(body))

    @app.action("procedure_open")
    def opened(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()  # the link opens in the person's browser; Slack tells us they pressed it
        ref = version_of(body)
        if ref is not None:
            press(runtime, context["actor"], body, lambda s: acks.opened(s, context["actor"], ref.id))

    @app.action("procedure_acknowledge")
    def acknowledge(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor, ref = context["actor"], version_of(body)
        if ref is None:
            return
        with runtime.db.read() as s:
            try:
                version = service.version(s, ref.id)
            except ReportError:
                version = None
            refused = acks.refusal(s, actor, ref.id) if version is not None else None
            form = _reading_form(s, actor, version) if version is not None and version.questions and not refused \
                else None
        if form is not None:
            _open(runtime, body, form)
            return
        with runtime.db.session() as s:
            result = acks.acknowledge(s, actor, ref.id)
            if result.outcome != Outcome.ACKNOWLEDGED:
                tell(s, actor, body, answer(actor.reader, result))

    @app.action("procedure_read")
    def read(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor, ref = context["actor"], version_of(body)
        if ref is None:
            return
        with runtime.db.read() as s:
            refused = acks.refusal(s, actor, ref.id)
            form = _reading_form(s, actor, service.version(s, ref.id)) if refused is None else None
        if form is not None:
            _open(runtime, body, form)
            return
        with runtime.db.session() as s:  # superseded: the current one is offered; else said why not
            assert refused is not None
            if refused.outcome == Outcome.SUPERSEDED and refused.ack is not None:
                acks.offer(s, actor, refused.ack, superseded=refused.pressed)
            tell(s, actor, body, answer(actor.reader, refused))

    @app.action("procedure_nudge")
    def nudge(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor, ref = context["actor"], CoverageRef.decode(pressed_value(body))
        if ref is None:
            return

        def step(s: Any) -> None:
            count = reminders.nudge(s, actor, procedure_id=ref.procedure, department_id=ref.department)
            tell(s, actor, body, str(text(actor.reader, "procedures.coverage.nudged" if count
                                          else "procedures.coverage.nudged_none", count=count)))
        press(runtime, actor, body, step)

    @app.action("procedures_coverage")
    def show_coverage(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor = context["actor"]
        in_modal = (body.get("view") or {}).get("type") == "modal"
        open_coverage(runtime, actor, body["trigger_id"], push=in_modal, respond=lambda message: _tell_now(
            runtime, actor, body, message))

    @app.action("procedure_missing")
    def show_missing(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor, ref = context["actor"], CoverageRef.decode(pressed_value(body))
        if ref is None:
            return
        with runtime.db.read() as s:
            allowed = permissions.may_see_coverage(actor, ref.department)
            view = coverage.missing_view(s, actor, ref, permissions.coverage_departments(actor)) if allowed else None
        if view is not None:
            _open(runtime, body, view)

    @app.action("procedure_export")
    def export(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor, ref = context["actor"], CoverageRef.decode(pressed_value(body))
        if ref is None:
            return

        def step(s: Any) -> None:
            permissions.require(s, actor, "coverage_export", None, permissions.may_see_coverage(actor, ref.department),
                                permissions.COVERAGE)
            reference = secrets.token_hex(4)
            day = service.today(s).isoformat()
            outbox.post(s, f"coverage:{reference}:preparing", actor.slack_user_id,
                        {"text": text(actor.reader, "procedures.coverage.exporting", reference=reference)})
            outbox.upload(s, f"coverage:{reference}:file", actor.slack_user_id, coverage.MAKER, {
                "procedure": ref.procedure, "department": ref.department, "lang": actor.reader.lang,
                "tz": actor.reader.tz, "departments": permissions.coverage_departments(actor), "day": day,
                "reference": reference}, reference=reference)
        press(runtime, actor, body, step)

    @app.action("procedures_register")
    def open_register(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        register.open_register(runtime, context["actor"], body["trigger_id"])

    @app.action("procedures_home")
    def home(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        with runtime.db.read() as s:
            view = views.mine(s, context["actor"])
        runtime.gateway.open_view(body["trigger_id"], view)

    @app.view(cards.READING_FORM)
    def reading_submitted(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        _reading_submitted(runtime, ack, body, view, context["actor"])


def _tell_now(runtime: Runtime, actor: Actor, body: dict[str, Any], message: str) -> None:
    with runtime.db.session() as s:
        tell(s, actor, body, message)


def _reading_form(session: Any, actor: Actor, version: ProcedureVersion) -> dict[str, Any]:
    owed = acks.owed(session, actor, version.procedure_id)
    since = session.get(ProcedureVersion, owed.acknowledged_version_id) \
        if owed is not None and owed.acknowledged_version_id else None
    return cards.reading_form(actor.reader, version, since)


def answers_of(view: dict[str, Any], count: int) -> tuple[int | None, ...]:
    values = state_values(view)
    found: list[int | None] = []
    for n in range(count):
        chosen = ((values.get(f"q{n}") or {}).get("answer") or {}).get("selected_option") or {}
        raw = chosen.get("value") if isinstance(chosen, dict) else None
        found.append(int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 3 else None)
    return tuple(found)


def _reading_submitted(runtime: Runtime, ack: Ack, body: dict[str, Any], view: dict[str, Any], actor: Actor) -> None:
    """Graded from a read and answered at once (a wrong answer shows its explanation inline); the attempt, or the
    acknowledgment, is written after the answer, once however often Slack delivers it."""
    ref = VersionRef.decode(view.get("private_metadata"))
    if ref is None:
        ack()
        return
    key = submission_key(view, state_values(view))
    with runtime.db.read() as s:
        if s.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == key)) is not None:
            ack()
            return
        try:
            version = service.version(s, ref.id)
        except ReportError as exc:
            ack(response_action="update", view=notice_view(actor.reader, explain(actor.reader, exc)))
            return
        refused = acks.refusal(s, actor, ref.id)
        questions = version.questions
        answers = answers_of(view, len(questions))
        lang = actor.reader.lang
        wrong = {f"q{n}": str(text(actor.reader, "procedures.reading.wrong", explanation=q.explanation(lang)))
                 for n, (q, a) in enumerate(zip(questions, answers, strict=True)) if a != q.answer}
        refusal_words = answer(actor.reader, refused) if refused is not None else None
    if refusal_words is not None:
        ack(response_action="update", view=notice_view(actor.reader, refusal_words))
    elif wrong:
        ack(response_action="errors", errors=wrong)
    else:
        ack()
    try:
        with runtime.db.session() as s:
            s.add(ProcessedEvent(event_id=key, received_at=clock.now()))
            s.flush()
            result = acks.acknowledge(s, actor, ref.id, answers)
            if refusal_words is None and not wrong and result.outcome != Outcome.ACKNOWLEDGED:
                outbox.post(s, f"ack-not-saved:{key}", actor.slack_user_id, {"text": answer(actor.reader, result)})
    except IntegrityError:
        log.info("reading form already recorded: a repeated delivery changed nothing")
