"""Buttons and menus. Each checks on the server who may press it (in the domain) before acting."""
from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot import outbox
from bot.runtime import Runtime
from handlers.commands import show_org
from handlers.help import help_message


def register(app: App, runtime: Runtime) -> None:
    @app.action("home_help")
    def home_help(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor = context["actor"]
        with runtime.db.session() as s:
            outbox.post(s, f"help:{actor.slack_user_id}:{body['trigger_id']}", actor.slack_user_id, help_message(actor))

    @app.action("home_org")
    def home_org(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        actor = context["actor"]
        show_org(runtime, actor, body["trigger_id"], respond=lambda **kw: _dm(runtime, actor, body, kw))


def _dm(runtime: Runtime, actor, body: dict, message: dict) -> None:
    message.pop("response_type", None)
    with runtime.db.session() as s:
        outbox.post(s, f"dm:{actor.slack_user_id}:{body['trigger_id']}", actor.slack_user_id, message)
