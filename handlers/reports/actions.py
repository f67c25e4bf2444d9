"""Buttons on the report card, the action owner's and verifier's DMs, the DM draft card and App Home.

Presses are acknowledged first (Slack needs nothing back from them), then their step runs in one
short transaction; a refusal is told privately, and a failure reaches Bolt's error handler, which
tells the person. Buttons that open a form check first, so nobody fills in a form they may not send,
and open it well within the trigger's 3 s; the submission checks again.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from bot.org.people import Actor
from bot.reports import corrective, effectiveness, service
from bot.reports.errors import ReportError
from bot.reports.references import action_subject
from bot.reports.service import ReportDraft
from bot.reports.values import ActionRef, ReportRef
from bot.runtime import Runtime
from handlers.payload import pressed_value
from handlers.reports import cards, drafts, forms
from handlers.reports.commands import open_report_form
from handlers.reports.common import press

Ref = type[ReportRef] | type[ActionRef]


def register(app: App, runtime: Runtime) -> None:
    def direct(action_id: str, step: Callable[[Session, Actor, int], Any], on: Ref = ReportRef) -> None:
        """A button whose press is the whole step, on the report (or action) its value names."""
        @app.action(action_id)
        def listener(ack: Ack, body: dict, context: BoltContext) -> None:
            ack()
            actor, target = context["actor"], on.decode(pressed_value(body))
            if target is not None:
                press(runtime, actor, body, lambda s: step(s, actor, target.id))

    def opens_form(action_id: str, build: Callable[[Session, Actor, int], dict], on: Ref = ReportRef) -> None:
        """A button that opens a form once the press is allowed."""
        @app.action(action_id)
        def listener(ack: Ack, body: dict, context: BoltContext) -> None:
            ack()
            actor, target = context["actor"], on.decode(pressed_value(body))
            view = press(runtime, actor, body, lambda s: build(s, actor, target.id)) if target is not None else None
            if view is not None:
                runtime.gateway.open_view(body["trigger_id"], view)

    direct("report_acknowledge", service.acknowledge)
    direct("report_escalate", service.escalate)
    direct("report_sign_off", service.sign_off)
    direct("action_verify", corrective.verify_action, ActionRef)
    direct("report_reopen", service.reopen)
    direct("action_more_time_approve", lambda s, a, aid: corrective.decide_more_time(s, a, aid, True), ActionRef)
    direct("action_more_time_refuse", lambda s, a, aid: corrective.decide_more_time(s, a, aid, False), ActionRef)
    direct("report_still_effective", lambda s, a, rid: effectiveness.record(s, a, rid, True))
    direct("report_not_effective", lambda s, a, rid: effectiveness.record(s, a, rid, False))
    opens_form("report_schedule_check",
               lambda s, a, rid: forms.check_form(a.reader, *effectiveness.proposal(s, a, rid)))

    opens_form("report_assess", lambda s, a, rid: _triage_form(s, a, rid, "assess_risk", lambda r: forms.risk_form(
        a.reader, r, service.is_residual(r))))
    opens_form("report_assign", lambda s, a, rid: _triage_form(s, a, rid, "assign_action", lambda r: forms.action_form(
        a.reader, r, service.today(s), a.slack_user_id)))
    opens_form("report_reject",
               lambda s, a, rid: _triage_form(s, a, rid, "reject", lambda r: forms.reject_form(a.reader, r)))
    opens_form("report_root_cause",
               lambda s, a, rid: _triage_form(s, a, rid, "root_cause", lambda r: forms.root_cause_form(a.reader, r)))
    opens_form("report_ask", lambda s, a, rid: _triage_form(s, a, rid, "ask_reporter", lambda r: forms.text_form(
        a.reader, forms.QUESTION_FORM, r.reference, ReportRef(r.id))))
    opens_form("report_reclassify", lambda s, a, rid: _triage_form(
        s, a, rid, "reclassify", lambda r: forms.reclassify_form(s, a.reader, r)))
    opens_form("report_timeline", lambda s, a, rid: cards.timeline_for(s, a, service.get(s, rid), modal=True))
    opens_form("report_answer", _answer_form)
    opens_form("action_done",
               lambda s, a, aid: forms.done_form(a.reader, corrective.check_may_work_on(s, a, aid, "done")), ActionRef)
    opens_form("action_more_time", lambda s, a, aid: forms.more_time_form(
        a.reader, corrective.check_may_work_on(s, a, aid, "more_time")), ActionRef)
    opens_form("action_cant_do", lambda s, a, aid: _action_text_form(
        a, corrective.check_may_work_on(s, a, aid, "cant_do"), forms.CANT_DO_FORM), ActionRef)
    opens_form("action_reopen", lambda s, a, aid: _action_text_form(
        a, corrective.check_may_verify(s, a, aid, "reopen"), forms.REOPEN_FORM), ActionRef)

    @app.action("home_report")
    def home_report(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        open_report_form(runtime, context["actor"], body["trigger_id"], ReportDraft())

    drafts.register(app, runtime)


def _triage_form(session: Session, actor: Actor, report_id: int, step: str, build: Callable) -> dict:
    return build(service.check_may_triage(session, actor, report_id, step))


def _answer_form(session: Session, actor: Actor, report_id: int) -> dict:
    report = service.get(session, report_id)
    if report.reporter_id != actor.id:
        raise ReportError("reports.error.not_reporter", reference=report.reference)
    return forms.answer_form(session, actor.reader, report)


def _action_text_form(actor: Actor, action, callback_id: str) -> dict:
    return forms.text_form(actor.reader, callback_id, action_subject(action), ActionRef(action.id))
