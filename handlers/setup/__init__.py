"""Set-up in Slack: the page administrators reach from App Home, `/triad setup` or the DM that asks them.

Every button and every save checks on the server that the person administers Triad (audited);
a part is edited in a form pushed over the page, answered before it is saved (handlers/submissions.py),
and the page is redrawn after each save.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from bot import outbox
from bot.i18n import plain, text
from bot.org import people, settings, waiting
from bot.org.people import Actor
from bot.org.values import SetupItem, SetupPart
from bot.reports import service as reports
from bot.reports.errors import ReportError
from bot.runtime import Runtime
from handlers import submissions
from handlers.reports.common import explain, notice_view
from handlers.setup import hours, notices, views
from handlers.submissions import Form, Step
from handlers.surface import CommandGroup, SlackSide, Subcommand

log = logging.getLogger(__name__)

EDIT_FORMS: dict[str, Callable[[Session, Any], dict[str, Any]]] = {
    "general": views.general_form, "triage": views.triage_form, "standards": views.standards_form,
    "admins": views.admins_form, hours.PART: hours.form,
}


def register(app: App, runtime: Runtime) -> None:
    def opened(action_id: str) -> None:
        @app.action(action_id)
        def listener(ack: Ack, body: dict, context: BoltContext) -> None:
            ack()
            open_page(runtime, context["actor"], body["trigger_id"], lambda message: _tell(runtime, context["actor"],
                                                                                          body, message))

    opened("home_setup")
    opened("setup_open")

    @app.action("setup_edit")
    def edit(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        part = _pressed(body) or ""
        build = EDIT_FORMS.get(part)
        if build is not None:
            _push(runtime, context["actor"], body, part, lambda s, reader: build(s, reader))

    @app.action("setup_add")
    def add(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        kind = _pressed(body) or ""
        form = {"department": views.department_form, "location": views.location_form}.get(kind)
        if form is not None:
            _push(runtime, context["actor"], body, kind, lambda s, reader: form(s, reader, None))

    @app.action("setup_item")
    def item(ack: Ack, body: dict, context: BoltContext) -> None:
        """The menu beside a department or a location: edit it, or remove it."""
        ack()
        chosen = SetupItem.decode(((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value"))
        if chosen is None:
            return
        kind, item_id = chosen.kind, chosen.id
        if not chosen.remove:
            form = views.department_form if kind == "department" else views.location_form
            _push(runtime, context["actor"], body, kind, lambda s, reader: form(s, reader, item_id))
        else:
            _push(runtime, context["actor"], body, f"{kind}.remove",
                  lambda s, reader: views.remove_form(s, reader, kind, item_id))

    def saving(callback_id: str, check: Step, save: Step,
               fields: Callable[[Actor, dict[str, Any]], settings.Problems] = lambda actor, values: {}) -> None:
        """Values, then the administrator (from a read), then the answer: back to the page, redrawn after the save."""
        submissions.register(app, runtime, callback_id, Form(
            check=check, save=save, meta=SetupItem.decode,
            fields=lambda actor, values: settings.raise_if(fields(actor, values)),
            saved=lambda runtime, actor, view, result: _redraw(runtime, actor, view.get("previous_view_id")),
            problems_as_notice=callback_id == views.REMOVE_FORM))

    saving(views.GENERAL_FORM, lambda s, a, m, v: settings.check_general(s, a, *views.read_general(v)),
           lambda s, a, m, v: settings.save_general(s, a, *views.read_general(v)),
           lambda a, v: settings.general_problems(*views.read_general(v)))
    saving(views.TRIAGE_FORM, lambda s, a, m, v: settings.check_triage_channel(s, a, views.read_channel(v)),
           lambda s, a, m, v: settings.set_triage_channel(s, a, views.read_channel(v)),
           lambda a, v: settings.triage_problems(views.read_channel(v)))
    saving(views.STANDARDS_FORM, lambda s, a, m, v: settings.check_standards(s, a, views.read_standards(v)),
           lambda s, a, m, v: settings.save_standards(s, a, views.read_standards(v)),
           lambda a, v: settings.standards_problems(views.read_standards(v)))
    saving(views.ADMINS_FORM, lambda s, a, m, v: settings.check_admins(s, a, views.read_admins(v)),
           lambda s, a, m, v: settings.set_admins(s, a, views.read_admins(v)),
           lambda a, v: settings.admins_problems(a, views.read_admins(v)))
    saving(views.DEPARTMENT_FORM,
           lambda s, a, m, v: settings.check_department(s, a, _id(m, "department"), views.read_department(v)),
           lambda s, a, m, v: settings.save_department(s, a, _id(m, "department"), views.read_department(v)),
           lambda a, v: settings.department_problems(views.read_department(v)))
    saving(views.LOCATION_FORM,
           lambda s, a, m, v: settings.check_location(s, a, _id(m, "location"), views.read_location(v)),
           lambda s, a, m, v: settings.save_location(s, a, _id(m, "location"), views.read_location(v)),
           lambda a, v: settings.location_problems(views.read_location(v)))
    saving(hours.FORM, lambda s, a, m, v: settings.check_working_hours(s, a, hours.read(v)),
           lambda s, a, m, v: settings.save_working_hours(s, a, hours.read(v)),
           lambda a, v: settings.working_hours_problems(hours.read(v)))
    saving(views.REMOVE_FORM, lambda s, a, m, v: (settings.check_remove_department if _id(m, "department")
                                                  else settings.check_remove_location)(s, a, _id(m, m and m.kind)),
           lambda s, a, m, v: (settings.remove_department if _id(m, "department")
                               else settings.remove_location)(s, a, _id(m, m and m.kind)))


def open_page(runtime: Runtime, actor: Actor, trigger_id: str, tell: Callable[[str], object]) -> None:
    """The set-up page for an administrator; anyone else is told who may."""
    with runtime.db.session() as s:
        try:
            settings.require_admin(s, actor, "open")
        except ReportError as exc:
            refusal: str | None = explain(actor.reader, exc)
        else:
            refusal, page = None, views.page(s, actor.reader)
    if refusal is not None:
        tell(refusal)
    else:
        runtime.gateway.open_view(trigger_id, page)


def reach_admins(runtime: Runtime, report_id: int) -> None:
    """After a report that waits for a channel is filed: when Triad knows no administrator yet (nobody who
    administers the workspace has used it), ask Slack who they are, outside any transaction, and ask them."""
    if not waiting.learn_workspace_admins(runtime):
        log.warning("report %s waits for a triage channel and no workspace admin could be found", report_id)


def _push(runtime: Runtime, actor: Actor, body: dict, part: str, build: Callable[[Session, Any], dict | None]) -> None:
    with runtime.db.session() as s:
        try:
            settings.require_admin(s, actor, f"{part}.open")
        except ReportError as exc:
            form = notice_view(actor.reader, explain(actor.reader, exc))
        else:
            form = build(s, actor.reader) or notice_view(actor.reader, text(actor.reader, "setup.invalid.gone"))
    runtime.gateway.push_view(body["trigger_id"], form)


def _redraw(runtime: Runtime, actor: Actor, page_id: str | None) -> None:
    if not page_id:
        return
    with runtime.db.session() as s:
        page = views.page(s, actor.reader)
    try:
        runtime.gateway.update_view(page_id, page)
    except Exception as exc:  # the page was closed meanwhile: what was saved is saved
        log.info("set-up page not redrawn: %s", exc)


def _tell(runtime: Runtime, actor: Actor, body: dict, message: str) -> None:
    press = (body.get("actions") or [{}])[0]
    with runtime.db.session() as s:
        outbox.post(s, f"tell:{actor.slack_user_id}:{press.get('action_ts') or body.get('trigger_id')}",
                    actor.slack_user_id, {"text": message})


def _pressed(body: dict) -> str | None:
    """The part of the page the pressed button opens; None for a value that is not one."""
    found = SetupPart.decode((body.get("actions") or [{}])[0].get("value"))
    return found.part if found is not None else None


def _id(meta: SetupItem | None, kind: str | None) -> int | None:
    """The id of the department or location a form names; None for a new one (or none of that kind)."""
    return meta.id if meta is not None and meta.kind == kind else None


# --- App Home and help ---------------------------------------------------------------------------------

def _home_waiting(session: Session, actor: Actor) -> list[dict[str, Any]]:
    if not actor.is_admin or people.organisation(session).triage_channel_id:
        return []
    return [{"text": text(actor.reader, "setup.home_waiting", count=len(reports.waiting(session))),
             "button": {"action_id": "setup_open", "value": "triage",
                        "label": plain(actor.reader, "setup.ask_button")}}]


def _home_buttons(actor: Actor) -> list[dict[str, Any]]:
    return [{"action_id": "home_setup", "label": plain(actor.reader, "setup.home_button"), "style": None}
            ] if actor.is_admin else []


def _setup_command(runtime: Runtime, actor: Actor, command: dict[str, Any], respond: Any) -> None:
    open_page(runtime, actor, command["trigger_id"], lambda message: respond(text=message, response_type="ephemeral"))


SLACK = SlackSide(
    listeners=register,
    subcommands=(Subcommand(("setup", "set-up", "设置"), _setup_command),),
    home_waiting=(_home_waiting,),
    home_buttons=(_home_buttons,),
    help=(CommandGroup("help.commands_heading", ("setup.help_line",), visible=lambda a: a.is_admin),),
    setup_sections=(hours.section,),
    notices=notices.NOTICES,
)
