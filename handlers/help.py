"""The commands Triad offers, grouped for /triad help and the App Home: the core's and each domain's."""
from __future__ import annotations

from typing import Any

from bot import domains
from bot.i18n import render
from bot.org.people import Actor
from handlers.surface import CommandGroup

CORE = (
    CommandGroup("help.commands_heading", ("help.command.help", "help.command.me", "help.command.language")),
    CommandGroup("help.commands_heading", ("help.command.org",), visible=lambda a: a.is_admin),
)


def groups() -> list[CommandGroup]:
    """Everyday work first (in the domains' order), then the core's settings, then the domains' other lines."""
    declared = [group for side in domains.slack_sides() for group in side.help]
    return [g for g in declared if g.first] + list(CORE) + [g for g in declared if not g.first]


def visible_groups(actor: Actor) -> list[dict[str, Any]]:
    merged: dict[str, list[str]] = {}
    for group in groups():
        if group.visible(actor):
            merged.setdefault(group.heading, []).extend(group.commands)
    return [{"heading": heading, "commands": commands} for heading, commands in merged.items()]


def help_message(actor: Actor, unknown_word: str | None = None) -> dict[str, Any]:
    return render("help", actor.reader, command_groups=visible_groups(actor), unknown_word=unknown_word)
