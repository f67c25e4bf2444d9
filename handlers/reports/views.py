"""Form submissions. Invalid fields stay in the form with inline errors; a refusal replaces the form
with the reason; a success closes it (the card's thread and DMs say the rest). Each is answered
before it is saved (handlers/submissions.py; the report form here, as it files once per view itself).

The anonymous receipt is the one exception: the reference and the follow-up code are shown in
the modal itself (``response_action: update``), answered synchronously from the submission. A DM
would leave a lasting Slack message pairing the person with the report, and an outbox row would
store their user id next to the report's until delivered; the modal leaves neither.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.org.people import Actor
from bot.reports import corrective, effectiveness, reclassify, service
from bot.reports.errors import InvalidInput, ReportError
from bot.reports.values import ActionRef, ReportFormMeta, ReportRef
from bot.runtime import Runtime
from handlers import submissions
from handlers.payload import state_values
from handlers.reports import forms
from handlers.reports.common import explain, file_once, inline_errors, notice_view, tell
from handlers.setup import reach_admins
from handlers.submissions import Form, Step


def register(app: App, runtime: Runtime) -> None:
    @app.view(forms.REPORT_FORM)
    def report_submitted(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        """Checked, then acknowledged (the form closes), then filed; only an anonymous filing is done before
        the ack, because its receipt (the follow-up code) is the answer itself."""
        actor: Actor = context["actor"]
        meta = ReportFormMeta.decode(view.get("private_metadata", "")) or ReportFormMeta()
        draft, source = forms.read_report_form(state_values(view), meta), f"view:{view['id']}"
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

    def form(callback_id: str, check: Step, save: Step, fields: Callable[[Actor, dict[str, Any]], dict[str, str]],
             on: type[ReportRef] | type[ActionRef] = ReportRef) -> None:
        """A form whose submission is one step on the report (or action) named in its metadata."""
        submissions.register(app, runtime, callback_id, Form(
            check=check, save=save, meta=on.decode,
            fields=lambda actor, values: service.raise_if(fields(actor, values))))

    def id_of(meta: ReportRef | ActionRef | None) -> int:
        """0 when the metadata names nothing: no row has it, so the step refuses as for a report gone."""
        return meta.id if meta is not None else 0

    form(forms.CHECK_FORM,
         lambda s, a, m, v: effectiveness.check_schedule(s, a, id_of(m), *forms.read_check_form(v)),
         lambda s, a, m, v: effectiveness.schedule(s, a, id_of(m), *forms.read_check_form(v)),
         lambda a, v: effectiveness.schedule_problems(*forms.read_check_form(v)))
    form(forms.RISK_FORM,
         lambda s, a, m, v: service.check_assess_risk(s, a, id_of(m), *forms.read_risk_form(v)),
         lambda s, a, m, v: service.assess_risk(s, a, id_of(m), *forms.read_risk_form(v)),
         lambda a, v: service.risk_problems(*forms.read_risk_form(v)))
    form(forms.ACTION_FORM,
         lambda s, a, m, v: service.check_assign_action(s, a, id_of(m), forms.read_action_form(v)),
         lambda s, a, m, v: service.assign_action(s, a, id_of(m), forms.read_action_form(v)),
         lambda a, v: service.action_problems(a.slack_user_id, forms.read_action_form(v)))
    form(forms.REJECT_FORM,
         lambda s, a, m, v: service.check_reject(s, a, id_of(m), *forms.read_reject_form(v)),
         lambda s, a, m, v: service.reject(s, a, id_of(m), *forms.read_reject_form(v)),
         lambda a, v: service.reject_problems(*forms.read_reject_form(v)))
    form(forms.ROOT_CAUSE_FORM,
         lambda s, a, m, v: service.check_root_cause(s, a, id_of(m), *forms.read_root_cause_form(v)),
         lambda s, a, m, v: service.record_root_cause(s, a, id_of(m), *forms.read_root_cause_form(v)),
         lambda a, v: service.root_cause_problems(*forms.read_root_cause_form(v)))
    form(forms.RECLASSIFY_FORM,
         lambda s, a, m, v: reclassify.check_reclassify(s, a, id_of(m), forms.read_reclassify_form(v)),
         lambda s, a, m, v: reclassify.reclassify(s, a, id_of(m), forms.read_reclassify_form(v)),
         lambda a, v: reclassify.change_problems(forms.read_reclassify_form(v)))
    form(forms.QUESTION_FORM,
         lambda s, a, m, v: service.check_ask_reporter(s, a, id_of(m), forms.read_text_form(v)),
         lambda s, a, m, v: service.ask_reporter(s, a, id_of(m), forms.read_text_form(v)),
         lambda a, v: service.question_problems(forms.read_text_form(v)))
    form(forms.ANSWER_FORM,
         lambda s, a, m, v: service.check_answer(service.get(s, id_of(m)), a, forms.read_text_form(v)),
         lambda s, a, m, v: service.answer_question(s, service.get(s, id_of(m)), a, forms.read_text_form(v)),
         lambda a, v: service.answer_problems(forms.read_text_form(v)))
    form(forms.DONE_FORM,
         lambda s, a, m, v: corrective.check_complete_action(s, a, id_of(m), *forms.read_done_form(v)),
         lambda s, a, m, v: corrective.complete_action(s, a, id_of(m), *forms.read_done_form(v)),
         lambda a, v: corrective.evidence_problems(*forms.read_done_form(v)), ActionRef)
    form(forms.MORE_TIME_FORM,
         lambda s, a, m, v: corrective.check_extend_action(s, a, id_of(m), *forms.read_more_time_form(v)),
         lambda s, a, m, v: corrective.extend_action(s, a, id_of(m), *forms.read_more_time_form(v)),
         lambda a, v: corrective.more_time_problems(*forms.read_more_time_form(v)), ActionRef)
    form(forms.CANT_DO_FORM,
         lambda s, a, m, v: corrective.check_decline_action(s, a, id_of(m), forms.read_text_form(v)),
         lambda s, a, m, v: corrective.decline_action(s, a, id_of(m), forms.read_text_form(v)),
         lambda a, v: corrective.reason_problems(forms.read_text_form(v)), ActionRef)
    form(forms.REOPEN_FORM,
         lambda s, a, m, v: corrective.check_reopen_action(s, a, id_of(m), forms.read_text_form(v)),
         lambda s, a, m, v: corrective.reopen_action(s, a, id_of(m), forms.read_text_form(v)),
         lambda a, v: corrective.reason_problems(forms.read_text_form(v)), ActionRef)
