"""The register in Slack, for system owners and administrators: create, edit a draft, publish, revise, retire.

The register is a modal (``open_register``: the lead's ``/procedures register`` and Home button); the procedure
form is pushed over it and the register is redrawn after each change. Every step is bot/procedures/service.py's,
which checks who may (audited) and what the register allows, and changes nothing when it refuses: a refusal of a
button is told privately (a form's opener shows it in the modal); a form's problems show inline.

Publishing checks the document link first, after the ack and with no transaction open (a network call), then
publishes in one unit of work; the lead's notices tell the publisher how many people were asked.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import plain, text
from bot.org.people import Actor
from bot.org.rules import Invalid, Problem
from bot.procedures import links, permissions, service
from bot.procedures.values import DraftForm, ProcedureDraft, VersionRef
from bot.reports.errors import NotAllowed, ReportError
from bot.runtime import Runtime
from handlers import submissions
from handlers.payload import pressed_value
from handlers.procedures import register_forms as forms
from handlers.reports.common import explain, notice_view, tell
from handlers.submissions import Form, Step
from storage.models import ProcedureStatus, ProcedureVersion

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    submissions.register(app, runtime, forms.FORM, Form(
        meta=DraftForm.decode,
        check=_on_blocks(lambda s, actor, meta, values: _check(s, actor, meta, forms.read_form(values, meta))),
        save=_on_blocks(lambda s, actor, meta, values: _save(s, actor, meta, forms.read_form(values, meta))),
        saved=lambda runtime, actor, view, result: _redraw(runtime, actor, view.get("previous_view_id"))))

    def pressed(action_id: str, step: Callable[[Actor, dict[str, Any], VersionRef], None]) -> None:
        """A register button naming a version; a value that is not one (forged, cut) does nothing."""
        @app.action(action_id)
        def listener(ack: Ack, body: dict, context: BoltContext) -> None:
            ack()
            ref = VersionRef.decode(pressed_value(body))
            if ref is not None:
                step(context["actor"], body, ref)

    @app.action(forms.NEW)
    def new(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor = context["actor"]
        _push_form(runtime, actor, body, lambda s: _new_form(s, actor))

    pressed(forms.EDIT, lambda actor, body, ref: _push_form(runtime, actor, body, lambda s: _edit_form(s, actor, ref)))
    pressed(forms.PUBLISH, lambda actor, body, ref: _publish(runtime, actor, body, ref.id))
    pressed(forms.REVISE_MAJOR, lambda actor, body, ref: _revise(runtime, actor, body, ref, major=True))
    pressed(forms.REVISE_MINOR, lambda actor, body, ref: _revise(runtime, actor, body, ref, major=False))
    pressed(forms.RETIRE, lambda actor, body, ref: _change(runtime, actor, body, lambda s: _retire(s, actor, ref)))


def open_register(runtime: Runtime, actor: Actor, trigger_id: str) -> None:
    """The register for those who manage procedures; anyone else is told who may (both recorded)."""
    with runtime.db.session() as s:
        try:
            permissions.require(s, actor, "register", None, forms.manages_any(s, actor), permissions.MANAGERS)
        except NotAllowed as exc:
            view = notice_view(actor.reader, explain(actor.reader, exc))
        else:
            view = forms.register_view(s, actor)
    runtime.gateway.open_view(trigger_id, view)


# --- the form ------------------------------------------------------------------------------------------------------

def _check(session: Session, actor: Actor, meta: DraftForm | None, draft: ProcedureDraft) -> None:
    """The service's checks, and the form's own: a new procedure's code is not one the register has already."""
    taken = _taken(session, meta, draft)
    try:
        service.check(session, actor, draft)
    except Invalid as exc:
        raise Invalid({**exc.problems, **taken}) from exc
    if taken:
        raise Invalid(taken)


def _save(session: Session, actor: Actor, meta: DraftForm | None, draft: ProcedureDraft) -> ProcedureVersion:
    taken = _taken(session, meta, draft)  # by someone else, since the check
    if taken:
        raise Invalid(taken)
    return service.save_draft(session, actor, draft)


def _taken(session: Session, meta: DraftForm | None, draft: ProcedureDraft) -> dict[str, Problem]:
    if (meta is not None and meta.code is not None) or service.find(session, draft.code) is None:
        return {}
    return {"code": Problem("code_taken", {"code": draft.code}, area="procedure_form.invalid")}


def _on_blocks(step: Step) -> Step:
    """A form step whose problems are named by the form's blocks (register_forms.on_blocks)."""
    def run(session: Session, actor: Actor, meta: Any, values: dict[str, Any]) -> Any:
        try:
            return step(session, actor, meta, values)
        except Invalid as exc:
            raise Invalid(forms.on_blocks(exc.problems, values)) from exc
    return run


def _new_form(session: Session, actor: Actor) -> dict[str, Any]:
    permissions.require(session, actor, "create", None, permissions.may_create(actor), permissions.MANAGERS)
    return forms.procedure_form(session, actor, None)


def _edit_form(session: Session, actor: Actor, ref: VersionRef) -> dict[str, Any]:
    row = service.version(session, ref.id)
    permissions.require(session, actor, "edit", row.procedure.code, permissions.may_manage(actor, row.procedure, row),
                        permissions.MANAGERS)
    draft = service.draft_of(row.procedure)
    if draft is None:  # published (or retired) since the register was drawn
        raise ReportError(f"procedures.error.already_{row.status.value}", code=row.procedure.code, version=row.version)
    return forms.procedure_form(session, actor, draft)


def _push_form(runtime: Runtime, actor: Actor, body: dict[str, Any],
               build: Callable[[Session], dict[str, Any]]) -> None:
    """A form over the register, within the press's 3 s; a refusal shows there instead."""
    with runtime.db.session() as s:
        try:
            view = build(s)
        except ReportError as exc:
            view = notice_view(actor.reader, explain(actor.reader, exc))
    runtime.gateway.push_view(body["trigger_id"], view)


# --- the buttons ---------------------------------------------------------------------------------------------------

def _publish(runtime: Runtime, actor: Actor, body: dict[str, Any], version_id: int) -> None:
    """The document link is checked with no transaction open; then one unit of work publishes, if it still can."""
    with runtime.db.read() as s:
        worth, url = _link_to_check(s, actor, version_id)
    problem = links.unreachable(url, enabled=runtime.settings.check_links) if worth else None
    if problem is not None:
        with runtime.db.session() as s:
            tell(s, actor, body, _not_done(actor, {"document_url": problem}))
        return

    def publish(s: Session) -> None:
        s.execute(select(ProcedureVersion.id).where(ProcedureVersion.id == version_id).with_for_update())
        row = service.version(s, version_id)
        if not worth or row.document_url != url:  # not checked, or changed since: refused, or to be pressed again
            service.check_publish(s, actor, row)
            raise ReportError("procedure_form.error.changed")
        service.publish(s, actor, version_id)
    _change(runtime, actor, body, publish)


def _link_to_check(session: Session, actor: Actor, version_id: int) -> tuple[bool, str | None]:
    """Whether the draft's link is worth a network call (not when the publish will be refused anyway), and it."""
    row = session.get(ProcedureVersion, version_id)
    if row is None or row.status != ProcedureStatus.DRAFT or not permissions.may_manage(actor, row.procedure, row):
        return False, None
    return True, row.document_url


def _revise(runtime: Runtime, actor: Actor, body: dict[str, Any], ref: VersionRef, *, major: bool) -> None:
    """A short transaction makes the new draft; its form opens from the press's trigger."""
    def revise(s: Session) -> dict[str, Any]:
        draft = service.revise(s, actor, service.version(s, ref.id).procedure.code, major=major)
        return forms.procedure_form(s, actor, draft)
    _push_form(runtime, actor, body, revise)
    _redraw(runtime, actor, _register_id(body))


def _retire(session: Session, actor: Actor, ref: VersionRef) -> None:
    """The version the confirmation named, only while it is the one in force (not a later one published since)."""
    row = service.version(session, ref.id)
    if row.status == ProcedureStatus.PUBLISHED:
        service.retire(session, actor, row.procedure.code)
    else:
        raise ReportError("procedure_form.error.not_in_force", code=row.procedure.code, version=row.version,
                          state=plain(actor.reader, f"procedures.status.{row.status.value}"))


def _change(runtime: Runtime, actor: Actor, body: dict[str, Any], step: Callable[[Session], object]) -> None:
    """One unit of work; a refusal (or what stops it, e.g. nobody in the audience) is told privately."""
    with runtime.db.session() as s:
        try:
            step(s)
        except ReportError as exc:
            tell(s, actor, body, explain(actor.reader, exc))
        except Invalid as exc:
            tell(s, actor, body, _not_done(actor, exc.problems))
    _redraw(runtime, actor, _register_id(body))


def _not_done(actor: Actor, problems: dict[str, Problem]) -> str:
    return text(actor.reader, "procedure_form.error.not_done",
                problems="\n".join(p.describe(actor.reader) for p in problems.values()))


def _register_id(body: dict[str, Any]) -> str | None:
    view = body.get("view") or {}
    return view.get("id") if view.get("callback_id") == forms.REGISTER else None


def _redraw(runtime: Runtime, actor: Actor, view_id: str | None) -> None:
    if not view_id:
        return
    with runtime.db.read() as s:
        view = forms.register_view(s, actor)
    try:
        runtime.gateway.update_view(view_id, view)
    except Exception as exc:  # closed meanwhile: what was done is done
        log.info("procedure register not redrawn: %s", exc)
