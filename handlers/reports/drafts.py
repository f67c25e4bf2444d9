"""The card a DM in plain words is answered with: choose the kind, file it as it stands, or edit it first."""
from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.i18n import text
from bot.org.people import Actor
from bot.reports.errors import InvalidInput, ReportError
from bot.reports.kinds import DEFAULT_STANDARDS, Guess
from bot.reports.service import ReportDraft
from bot.reports.values import Draft
from bot.runtime import Runtime
from handlers.payload import pressed_value
from handlers.reports import cards
from handlers.reports.commands import open_report_form
from handlers.reports.common import explain, file_once, tell
from handlers.setup import reach_admins


def register(app: App, runtime: Runtime) -> None:
    @app.action(re.compile(r"^draft_kind:"))
    def draft_kind(ack: Ack, body: dict, context: BoltContext, respond: Respond) -> None:
        """The person says what kind it is: the card shows what will be filed, with File and Edit."""
        ack()
        actor: Actor = context["actor"]
        draft, source = draft_from(body)
        if draft.kind is None:
            return
        standards = tuple(dict.fromkeys([*DEFAULT_STANDARDS[draft.kind], *draft.standards]))
        with runtime.db.session() as s:
            card = cards.draft_card(s, actor.reader, draft.description,
                                    Guess(draft.kind, standards, draft.location_id), source)
        respond(**card, replace_original=True)

    @app.action("draft_edit")
    def draft_edit(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        open_report_form(runtime, context["actor"], body["trigger_id"], draft_from(body)[0])

    @app.action("draft_file")
    def draft_file(ack: Ack, body: dict, context: BoltContext, respond: Respond) -> None:
        """File a report from the DM card as it stands: the person has seen it and confirmed."""
        ack()
        actor: Actor = context["actor"]
        draft, source = draft_from(body)
        try:
            filed = file_once(runtime, actor, draft, f"dm:{source}")
        except (ReportError, InvalidInput) as exc:
            message = (explain(actor.reader, exc) if isinstance(exc, ReportError)
                       else text(actor.reader, next(iter(exc.problems.values()))))
            with runtime.db.session() as s:
                tell(s, actor, body, message)
            return
        answer = "reports.draft.filed" if not filed.already_filed else "reports.receipt.already"
        respond(text=text(actor.reader, answer, reference=filed.report.reference), replace_original=True)
        if filed.waiting:  # no channel chosen yet: the administrators are asked to choose one
            reach_admins(runtime, filed.report.id)


def draft_from(body: dict[str, Any]) -> tuple[ReportDraft, str]:
    """The draft a DM card carries: kind, standards, location and source message in the button's value,
    the words in the card itself (cards posted before carried them in the value)."""
    value = Draft.decode(pressed_value(body)) or Draft()
    message = body.get("message")
    words = cards.draft_text(message if isinstance(message, dict) else {})
    draft = ReportDraft(kind=value.kind, description=words if words is not None else value.words or "",
                        location_id=value.location_id, standards=list(value.standards))
    return draft, str(value.source or (body.get("container") or {}).get("message_ts", ""))[:200]
