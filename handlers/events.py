"""Events: App Home opened, direct messages. One `message` listener fans out (Bolt runs only the first match)."""
from __future__ import annotations

import logging

from slack_bolt import App, BoltContext

from bot import domains, outbox
from bot.i18n import text
from bot.runtime import Runtime
from handlers.home import home_view

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    sides = domains.slack_sides()  # the first reader that answers: those that look for something, then any words
    readers = [read for side in sides for read in side.direct_messages]
    readers += [side.any_direct_message for side in sides if side.any_direct_message is not None]

    @app.event("app_home_opened")
    def publish_home(event: dict, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        refresh_home(runtime, context["actor"])

    @app.event("message")
    def direct_message(event: dict, context: BoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or "actor" not in context:
            return
        actor = context["actor"]
        for read in readers:
            if read(runtime, actor, event):
                return
        # Words we could not read as anything: say what we can do rather than stay silent.
        with runtime.db.session() as s:
            outbox.post(s, f"dm:unread:{event.get('channel')}:{event.get('ts')}", actor.slack_user_id,
                        {"text": text(actor.reader, "help.dm_fallback")})


def refresh_home(runtime: Runtime, actor) -> None:
    with runtime.db.read() as s:
        view = home_view(s, actor)
    runtime.gateway.client.views_publish(user_id=actor.slack_user_id, view=view)
