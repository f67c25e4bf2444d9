"""The commands Triad offers, grouped for /triad help and the App Home. Domains add their own."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.i18n import render
from bot.org.people import Actor


@dataclass(frozen=True)
class CommandGroup:
    heading: str  # text key
    commands: tuple[str, ...]  # text keys, one line each
    visible: Callable[[Actor], bool] = lambda actor: True


GROUPS: list[CommandGroup] = []


def add_group(group: CommandGroup, *, first: bool = False) -> None:
    """Domains call this at import time; ``first`` puts everyday work before the settings."""
    if group not in GROUPS:
        GROUPS.insert(0, group) if first else GROUPS.append(group)


add_group(CommandGroup("help.commands_heading", ("help.command.help", "help.command.me", "help.command.language")))
add_group(CommandGroup("help.commands_heading", ("help.command.org",), visible=lambda a: a.is_admin))


def visible_groups(actor: Actor) -> list[dict[str, Any]]:
    merged: dict[str, list[str]] = {}
    for group in GROUPS:
        if group.visible(actor):
            merged.setdefault(group.heading, []).extend(group.commands)
    return [{"heading": heading, "commands": commands} for heading, commands in merged.items()]


def help_message(actor: Actor, unknown_word: str | None = None) -> dict[str, Any]:
    return render("help", actor.reader, command_groups=visible_groups(actor), unknown_word=unknown_word)
