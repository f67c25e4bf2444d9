"""/report (file, status, follow, mine) and /actions."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from sqlalchemy import select

from bot.i18n import plain, shortened, text
from bot.org.people import Actor
from bot.reports import kinds, service
from bot.reports.errors import InvalidInput, ReportError
from bot.reports.service import ReportDraft
from bot.runtime import Runtime
from handlers.reports import cards, forms
from handlers.reports.common import explain
from handlers.reports.labels import whole
from storage.models import ActionStatus, CorrectiveAction, Report, ReportStatus

STATUS_WORDS = ("status", "状态", "查询")
FOLLOW_WORDS = ("follow", "跟进")
MINE_WORDS = ("mine", "我的")
HELP_WORDS = ("help", "帮助", "?")


def register(app: App, runtime: Runtime) -> None:
    @app.command("/report")
    def report(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        """Acknowledged at once; the answer follows over the response_url, the form within the trigger's 3 s."""
        ack()
        actor: Actor = context["actor"]
        raw = (command.get("text") or "").strip()
        words = raw.split()
        first = words[0].lower() if words else ""
        if first in STATUS_WORDS:
            answer = _status(runtime, actor, words[1] if len(words) > 1 else "")
        elif first in FOLLOW_WORDS:
            answer = _follow(runtime, actor, raw.split(None, 2)[1:])
        elif first in MINE_WORDS:
            answer = _mine(runtime, actor)
        elif first in HELP_WORDS:
            answer = {"text": text(actor.reader, "reports.usage")}
        else:
            kind, used = kinds.kind_from_command(words)
            description = raw.split(None, used)[used] if used and len(words) > used else ("" if used else raw)
            draft = ReportDraft(kind=kind, description=description, origin_channel=command.get("channel_id"))
            if description:  # "/report oil leaking under press 3": guess what the words say, to confirm in the form
                with runtime.db.read() as s:
                    guessed = service.guess(s, description)
                draft.kind = draft.kind or guessed.kind
                draft.location_id = guessed.location_id
                draft.standards = list(guessed.standards) if guessed.kind == draft.kind else []
            open_report_form(runtime, actor, command["trigger_id"], draft)
            return
        respond(**answer, response_type="ephemeral")

    @app.command("/actions")
    def actions(ack: Ack, context: BoltContext, respond: Respond) -> None:
        ack()
        actor: Actor = context["actor"]
        with runtime.db.read() as s:
            mine = list(s.scalars(select(CorrectiveAction).where(
                CorrectiveAction.owner_id == actor.id, CorrectiveAction.status == ActionStatus.OPEN)
                .order_by(CorrectiveAction.due_on, CorrectiveAction.id)))
            to_verify = list(s.scalars(select(CorrectiveAction).where(
                CorrectiveAction.verifier_id == actor.id, CorrectiveAction.status == ActionStatus.DONE)
                .order_by(CorrectiveAction.done_at)))
            message = cards.action_list(s, actor.reader, mine, to_verify, service.today(s))
        respond(**message, response_type="ephemeral")


def open_report_form(runtime: Runtime, actor: Actor, trigger_id: str, draft: ReportDraft,
                     source_link: str | None = None) -> dict:
    """Every way in ends here: the modal, pre-filled with what is known, opened within the trigger's 3 s.

    The department is pre-filled from the location only: left empty, filing picks the reporter's own,
    unless they tick anonymous (service.responsible_department)."""
    with runtime.db.read() as s:
        if draft.department_id is None and draft.location_id:
            draft.department_id = service.location_department(s, draft.location_id)
        view = forms.report_form(s, actor.reader, draft, source_link=source_link)
    return runtime.gateway.open_view(trigger_id, view)


def _status(runtime: Runtime, actor: Actor, reference: str) -> dict:
    if not reference:
        return {"text": text(actor.reader, "reports.usage")}
    with runtime.db.session() as s:  # a refusal is audited: a write
        try:
            return cards.timeline_for(s, actor, service.by_reference(s, reference), modal=False)
        except ReportError as exc:
            return {"text": explain(actor.reader, exc)}


def _follow(runtime: Runtime, actor: Actor, rest: list[str]) -> dict:
    """The anonymous reporter's door: the code shows the timeline; words after it answer in the thread.

    Nothing here is audited, logged or sent through the outbox: the answer goes back over the
    command's response_url, so no row ever pairs this person with the report.
    """
    if not rest:
        return {"text": text(actor.reader, "reports.follow.usage")}
    code, answer = rest[0], (rest[1] if len(rest) > 1 else "")
    try:
        with runtime.db.session() as s:
            report = service.by_follow_code(s, code)
            message: dict[str, Any]
            if answer:
                service.answer_question(s, report, None, answer)
                message = {"text": text(actor.reader, "reports.follow.answered", reference=report.reference)}
            else:
                message = cards.timeline_surface(s, report, actor.reader, modal=False, follow=True)
    except ReportError as exc:
        message = {"text": explain(actor.reader, exc)}
    except InvalidInput as exc:
        message = {"text": text(actor.reader, next(iter(exc.problems.values())))}
    return message


def _mine(runtime: Runtime, actor: Actor) -> dict:
    with runtime.db.read() as s:
        reports = list(s.scalars(select(Report).where(Report.reporter_id == actor.id)
                                 .order_by(Report.id.desc()).limit(20)))
        lines = [text(actor.reader, "reports.mine.line", reference=r.reference,
                      kind=plain(actor.reader, f"reports.kind.{r.kind.value}"),
                      status=plain(actor.reader, f"reports.status_name.{r.status.value}"),
                      closed=r.status == ReportStatus.CLOSED,
                      description=shortened(actor.reader, r.description, 120, whole(r))) for r in reports]
    heading = text(actor.reader, "reports.mine.heading" if lines else "reports.mine.none")
    return {"text": "\n".join([heading, *lines])}
