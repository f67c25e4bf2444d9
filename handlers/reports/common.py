"""What the report listeners share: running a step in one unit of work and explaining refusals."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox
from bot.i18n import Reader, plain, render, text
from bot.org.people import Actor
from bot.reports import service
from bot.reports.errors import InvalidInput, ReportError
from bot.reports.service import Filed, ReportDraft
from bot.runtime import Runtime

T = TypeVar("T")


def explain(reader: Reader, error: ReportError) -> str:
    values = dict(error.values)
    if "who" in values:
        values["who"] = plain(reader, values["who"])
    if "status" in values:
        values["status"] = plain(reader, f"reports.status_name.{values['status']}")
    return text(reader, error.key, **values)


def inline_errors(reader: Reader, error: InvalidInput) -> dict[str, str]:
    return {field: plain(reader, key) for field, key in error.problems.items()}


def notice_view(reader: Reader, message: str) -> dict[str, Any]:
    """A modal that replaces a form whose submission was refused, saying why."""
    return render("report_notice", reader, text=message)


def tell(session: Session, actor: Actor, body: dict[str, Any], message: str) -> None:
    """A private answer to a button press: ephemeral where the button was, else a DM."""
    press = (body.get("actions") or [{}])[0]
    key = f"tell:{actor.slack_user_id}:{press.get('action_ts') or body.get('trigger_id')}"
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if channel:
        outbox.ephemeral(session, key, channel, actor.slack_user_id, {"text": message})
    else:
        outbox.post(session, key, actor.slack_user_id, {"text": message})


def press(runtime: Runtime, actor: Actor, body: dict[str, Any], step: Callable[[Session], T]) -> T | None:
    """Run a button's step; a refusal is explained privately and its audit row is kept.

    Steps raise before they change anything, so committing after a refusal keeps only the audit row.
    """
    with runtime.db.session() as s:
        try:
            return step(s)
        except ReportError as exc:
            tell(s, actor, body, explain(actor.reader, exc))
            return None


def file_once(runtime: Runtime, actor: Actor, draft: ReportDraft, source: str) -> Filed:
    """File a report; when a parallel submission of the same form won the race, answer with its filing."""
    try:
        with runtime.db.session() as s:
            return service.file_report(s, actor, draft, source)
    except IntegrityError:
        with runtime.db.session() as s:
            report = service.already_filed(s, source)
            if report is None:
                raise
            return Filed(report, None, already_filed=True)
