"""The global shortcut "Report an issue" and the message shortcut "Report this message"."""
from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot.reports.service import ReportDraft
from bot.runtime import Runtime
from handlers.reports import forms
from handlers.reports.commands import open_report_form

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    @app.global_shortcut("report_issue")
    def report_issue(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        open_report_form(runtime, context["actor"], body["trigger_id"], ReportDraft())

    @app.message_shortcut("report_message")
    def report_message(ack: Ack, body: dict, context: BoltContext) -> None:
        """Pre-fill from the message; the link to it is looked up after the modal is open (trigger ids live 3 s)."""
        ack()
        actor = context["actor"]
        message = body.get("message") or {}
        draft = ReportDraft(description=(message.get("text") or "")[:3000],
                            origin_channel=(body.get("channel") or {}).get("id"))
        view = open_report_form(runtime, actor, body["trigger_id"], draft)  # sets the department too
        link = runtime.gateway.permalink(body["channel"]["id"], body.get("message_ts") or message.get("ts", ""))
        if link:
            with runtime.db.read() as s:
                updated = forms.report_form(s, actor.reader, draft, source_link=link)
            try:
                runtime.gateway.update_view(view["id"], updated, view.get("hash"))
            except Exception as exc:  # the person typed meanwhile (hash_conflict): keep their words, lose the link
                log.info("report form not updated with the message link: %s", exc)
