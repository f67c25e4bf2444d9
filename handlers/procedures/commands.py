"""`/procedures`: yours (the default), one procedure by its code, `coverage`, `register`. Each opens within the
trigger's 3 s from a read; a refusal is said privately."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.i18n import text
from bot.org.people import Actor
from bot.procedures import acks, service
from bot.reports.errors import ReportError
from bot.runtime import Runtime
from handlers.procedures import actions, cards, register, views
from handlers.reports.common import explain

COVERAGE_WORDS = ("coverage", "覆盖率")
REGISTER_WORDS = ("register", "登记册")
MINE_WORDS = ("", "mine", "me", "我的")


def register_command(app: App, runtime: Runtime) -> None:
    @app.command("/procedures")
    def procedures(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        ack()
        actor: Actor = context["actor"]
        word = (command.get("text") or "").strip()
        trigger = command["trigger_id"]
        if word.lower() in MINE_WORDS:
            with runtime.db.read() as s:
                view = views.mine(s, actor)
            runtime.gateway.open_view(trigger, view)
        elif word.lower() in COVERAGE_WORDS:
            actions.open_coverage(runtime, actor, trigger, respond=lambda message: respond(
                text=message, response_type="ephemeral"))
        elif word.lower() in REGISTER_WORDS:
            register.open_register(runtime, actor, trigger)
        else:
            respond(**one(runtime, actor, word), response_type="ephemeral")


def one(runtime: Runtime, actor: Actor, code: str) -> dict[str, Any]:
    """A procedure's version in force as its card: with the buttons when the person owes it."""
    with runtime.db.read() as s:
        try:
            procedure = service.get(s, code)
        except ReportError as exc:
            return {"text": explain(actor.reader, exc)}
        version = service.in_force(procedure)
        if version is None:
            return {"text": text(actor.reader, "procedures.error.nothing_in_force", code=procedure.code)}
        owed = acks.owed(s, actor, procedure.id)
        if owed is not None and owed.required and owed.version_id == version.id and owed.status.value == "pending":
            since = s.get(type(version), owed.acknowledged_version_id) if owed.acknowledged_version_id else None
            return cards.card(actor.reader, version, owed, since=since)
        settled = (text(actor.reader, "procedures.card.acknowledged", version=version.version,
                        at=owed.acknowledged_at)
                   if owed is not None and owed.acknowledged_at and owed.version_id == version.id
                   else text(actor.reader, "procedures.card.not_owed"))
        return cards.card(actor.reader, version, owed, since=None, state="settled", settled=str(settled))
