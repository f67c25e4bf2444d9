"""`/triad export`, its form and its help line, as the evidence domain's Slack side (handlers/evidence) has them."""
from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.evidence import permissions, requests
from bot.evidence.values import ExportForm
from bot.i18n import text
from bot.org.people import Actor
from bot.reports.errors import NotAllowed
from bot.runtime import Runtime
from handlers import submissions
from handlers.evidence import forms
from handlers.submissions import Form
from handlers.surface import CommandGroup, Subcommand


def register(app: App, runtime: Runtime) -> None:
    submissions.register(app, runtime, forms.FORM, Form(
        meta=ExportForm.decode,
        fields=lambda actor, values: requests.raise_if(requests.problems(forms.read_export_form(values))),
        check=lambda s, actor, meta, values: requests.check(s, actor, forms.read_export_form(values)),
        save=lambda s, actor, meta, values: requests.request_export(s, actor, forms.read_export_form(values),
                                                                    _key(meta, values))))


def _key(meta: ExportForm | None, values: dict[str, Any]) -> str:
    """The form's own token; a form that lost it (forged, cut) is keyed by what it sends."""
    if meta is not None:
        return meta.token
    return submissions.submission_key({"id": "export"}, values).removeprefix("form:")[:16]


def open_form(runtime: Runtime, actor: Actor, command: dict[str, Any], respond: Any) -> None:
    """The form for those who may export; anyone else is told who may (both recorded)."""
    with runtime.db.session() as s:
        try:
            permissions.require_exporter(s, actor, "form")
        except NotAllowed:
            view = None
        else:
            view = forms.export_form(s, actor.reader, ExportForm.new())
    if view is None:
        respond(text=text(actor.reader, "export_form.refused"), response_type="ephemeral")
    else:
        runtime.gateway.open_view(command["trigger_id"], view)


SUBCOMMANDS = (Subcommand(("export", "导出"), open_form),)
HELP = (CommandGroup("help.commands_heading", ("export_form.help_line",), visible=permissions.may_export),)
