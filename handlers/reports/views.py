"""Form submissions. Invalid fields stay in the form with inline errors; a refusal replaces the form
with the reason; a success closes it (the card's thread and DMs say the rest).

The anonymous receipt is the one exception: the reference and the follow-up code are shown in
the modal itself (``response_action: update``), answered synchronously from the submission. A DM
would leave a lasting Slack message pairing the person with the report, and an outbox row would
store their user id next to the report's until delivered; the modal leaves neither.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from bot.org.people import Actor
from bot.reports import corrective, effectiveness, forms, reclassify, service
from bot.reports.errors import InvalidInput, ReportError
from bot.runtime import Runtime
from handlers.payload import metadata, state_values
from handlers.reports.common import explain, file_once, inline_errors, notice_view, tell
from handlers.setup import reach_admins


def register(app: App, runtime: Runtime) -> None:
    @app.view(forms.REPORT_FORM)
    def report_submitted(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        """Checked, then acknowledged (the form closes), then filed; only an anonymous filing is done before
        the ack, because its receipt (the follow-up code) is the answer itself."""
        actor: Actor = context["actor"]
        draft, source = forms.read_report_form(state_values(view), metadata(view)), f"view:{view['id']}"
        if problems := service.check_draft(draft):
            ack(response_action="errors", errors=inline_errors(actor.reader, InvalidInput(problems)))
            return
        with runtime.db.read() as s:
            earlier = service.already_filed(s, source)
        if earlier is not None:
            ack(response_action="update", view=forms.receipt_view(actor.reader, earlier.reference, None, already=True))
            return
        if not draft.anonymous:
            ack()
        try:
            filed = file_once(runtime, actor, draft, source)
        except ReportError as exc:
            if draft.anonymous:
                ack(response_action="update", view=notice_view(actor.reader, explain(actor.reader, exc)))
            else:
                with runtime.db.session() as s:
                    tell(s, actor, body, explain(actor.reader, exc))
            return
        if draft.anonymous:
            ack(response_action="update", view=forms.receipt_view(actor.reader, filed.report.reference,
                                                                  filed.follow_code, already=filed.already_filed))
        if filed.waiting:
            reach_admins(runtime, filed.report.id)

    def submission(callback_id: str, step: Callable[[Session, Actor, Any, dict[str, Any]], Any]) -> None:
        """A form whose submission is one step on the report or action named in its metadata."""
        @app.view(callback_id)
        def submitted(ack: Ack, view: dict, context: BoltContext) -> None:
            actor: Actor = context["actor"]
            meta, values = metadata(view), state_values(view)
            refusal: ReportError | None
            try:
                with runtime.db.session() as s:
                    try:
                        step(s, actor, meta, values)
                    except ReportError as exc:  # keep the refusal's audit row: the step changed nothing else
                        refusal = exc
                    else:
                        refusal = None
            except InvalidInput as exc:
                ack(response_action="errors", errors=inline_errors(actor.reader, exc))
                return
            if refusal is not None:
                ack(response_action="update", view=notice_view(actor.reader, explain(actor.reader, refusal)))
            else:
                ack()

    submission(effectiveness.CHECK_FORM, lambda s, a, m, v: effectiveness.schedule(
        s, a, m.get("r"), *effectiveness.read_check_form(v)))
    submission(forms.RISK_FORM, lambda s, a, m, v: _assess(s, a, m, v))
    submission(forms.ACTION_FORM, lambda s, a, m, v: service.assign_action(s, a, m.get("r"), forms.read_action_form(v)))
    submission(forms.REJECT_FORM, lambda s, a, m, v: service.reject(s, a, m.get("r"), *forms.read_reject_form(v)))
    submission(forms.ROOT_CAUSE_FORM, lambda s, a, m, v: service.record_root_cause(
        s, a, m.get("r"), *forms.read_root_cause_form(v)))
    submission(forms.RECLASSIFY_FORM, lambda s, a, m, v: reclassify.reclassify(
        s, a, m.get("r"), forms.read_reclassify_form(v)))
    submission(forms.QUESTION_FORM, lambda s, a, m, v: service.ask_reporter(s, a, m.get("r"), forms.read_text_form(v)))
    submission(forms.ANSWER_FORM, lambda s, a, m, v: service.answer_question(
        s, service.get(s, m.get("r")), a, forms.read_text_form(v)))
    submission(forms.DONE_FORM,
               lambda s, a, m, v: corrective.complete_action(s, a, m.get("a"), *forms.read_done_form(v)))
    submission(forms.MORE_TIME_FORM, lambda s, a, m, v: corrective.extend_action(
        s, a, m.get("a"), *forms.read_more_time_form(v)))
    submission(forms.CANT_DO_FORM,
               lambda s, a, m, v: corrective.decline_action(s, a, m.get("a"), forms.read_text_form(v)))
    submission(forms.REOPEN_FORM,
               lambda s, a, m, v: corrective.reopen_action(s, a, m.get("a"), forms.read_text_form(v)))


def _assess(session: Session, actor: Actor, meta: Any, values: dict[str, Any]) -> None:
    likelihood, severity = forms.read_risk_form(values)
    if likelihood is None or severity is None:
        raise InvalidInput({"likelihood" if likelihood is None else "severity": "reports.invalid.risk_missing"})
    service.assess_risk(session, actor, meta.get("r"), likelihood, severity)
