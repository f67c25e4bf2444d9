"""/triad, the settings and help command; domains add words to it (their SlackSide) and commands of their own."""
from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from bot import audit, clock, domains
from bot.i18n import plain, text
from bot.org import people
from bot.runtime import Runtime
from handlers.help import help_message
from handlers.home import describe_roles
from handlers.setup.overview import org_modal


def register(app: App, runtime: Runtime) -> None:
    subcommands = {word: sub.run for side in domains.slack_sides() for sub in side.subcommands for word in sub.words}

    @app.command("/triad")
    def triad(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        ack()  # every answer follows over the response_url or in a modal
        actor: people.Actor = context["actor"]
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        if sub in ("help", "?", "帮助"):
            respond(help_message(actor), response_type="ephemeral")
        elif sub in ("me", "我"):
            respond(text=_me(runtime, actor), response_type="ephemeral")
        elif sub in ("language", "lang", "语言"):
            respond(text=_set_language(runtime, actor, words[1].lower() if len(words) > 1 else ""),
                    response_type="ephemeral")
        elif sub in ("org", "组织"):
            show_org(runtime, actor, command["trigger_id"], respond)
        elif sub in subcommands:
            subcommands[sub](runtime, actor, command, respond)
        else:
            respond(help_message(actor, unknown_word=words[0][:40]), response_type="ephemeral")


def show_org(runtime: Runtime, actor: people.Actor, trigger_id: str, respond) -> None:
    with runtime.db.session() as s:
        audit.record(s, actor.id, "org.view", None, allowed=actor.is_admin)
        if not actor.is_admin:
            refusal = text(actor.reader, "common.error.not_allowed", who=plain(actor.reader, "org.admins_only"))
        else:
            view = org_modal(s, actor.reader)
            refusal = None
    if refusal:
        respond(text=refusal, response_type="ephemeral")
    else:
        runtime.gateway.open_view(trigger_id, view)


def _me(runtime: Runtime, actor: people.Actor) -> str:
    with runtime.db.read() as s:
        person = people.find(s, actor.slack_user_id)
        assert person is not None  # the middleware registered whoever is asking
        department = person.department.name(actor.lang) if person.department else text(actor.reader, "common.none")
        lines = [
            text(actor.reader, "help.me.heading", name=actor.name),
            text(actor.reader, "help.me.department", department=department),
            text(actor.reader, "help.me.roles", roles=describe_roles(actor, s)),
            text(actor.reader, "help.me.language", language=plain(actor.reader, f"common.language.{actor.lang}"),
                 automatic=person.language_override is None),
            text(actor.reader, "help.me.timezone", timezone=actor.tz, now=clock.now()),
        ]
    return "\n".join(lines)


def _set_language(runtime: Runtime, actor: people.Actor, choice: str) -> str:
    aliases = {"en": "en", "english": "en", "英语": "en", "zh": "zh", "cn": "zh", "chinese": "zh", "中文": "zh",
               "auto": None, "自动": None}
    if choice not in aliases:
        return text(actor.reader, "help.language_usage")
    with runtime.db.session() as s:
        person = people.find(s, actor.slack_user_id)
        assert person is not None  # the middleware registered whoever is asking
        people.set_language(s, person, aliases[choice])
        updated = people.actor_of(person, people.organisation(s))
    if aliases[choice] is None:
        return text(updated.reader, "help.language_auto",
                    language=plain(updated.reader, f"common.language.{updated.lang}"))
    return text(updated.reader, "help.language_set")
