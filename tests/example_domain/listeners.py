"""The example domain's Slack side."""
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from sqlalchemy.orm import Session

from bot import outbox
from bot.i18n import text
from bot.org.people import Actor
from bot.runtime import Runtime
from handlers.surface import CommandGroup, SlackSide, Subcommand
from tests.example_domain import GREETED, GreetingDue


def register(app: App, runtime: Runtime) -> None:
    @app.command("/example")
    def example(ack: Ack, respond: Respond, context: BoltContext) -> None:
        ack()
        respond(text=text(context["actor"].reader, "example.hello"), response_type="ephemeral")


def _word(runtime: Runtime, actor: Actor, command: dict[str, Any], respond: Respond) -> None:
    respond(text=text(actor.reader, "example.word"), response_type="ephemeral")


def _ping(runtime: Runtime, actor: Actor, event: dict[str, Any]) -> bool:
    if (event.get("text") or "").strip().lower() != "ping":
        return False
    with runtime.db.session() as s:
        outbox.post(s, f"example:pong:{event.get('ts')}", actor.slack_user_id,
                    {"text": text(actor.reader, "example.pong")})
    return True


def _waiting(session: Session, actor: Actor) -> list[dict[str, Any]]:
    return [{"text": text(actor.reader, "example.waiting"), "button": None}]


def _greet(session: Session, event: GreetingDue) -> None:
    outbox.post(session, f"example:daily:{event.day}", GREETED, {"text": "example daily greeting"})


SLACK = SlackSide(
    listeners=register,
    subcommands=(Subcommand(("example", "例子"), _word),),
    direct_messages=(_ping,),
    home_waiting=(_waiting,),
    help=(CommandGroup("example.help.heading", ("example.help.line",)),),
    notices={GreetingDue: _greet},
)
