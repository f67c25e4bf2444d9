"""What a domain shows in Slack, declared once in ``handlers/<domain>/__init__.py`` as ``SLACK`` and found
through its DOMAIN (bot/domains.py). The core (handlers/__init__.py) registers each side's listeners and
gathers the rest: /triad words, direct-message readers, App Home sections and help entries; bot/events.py
calls its notices when a domain announces what happened."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, Respond
from sqlalchemy.orm import Session

from bot.gateway import FileUpload
from bot.i18n import Reader
from bot.org.people import Actor
from bot.runtime import Runtime
from storage.db import Database


@dataclass(frozen=True)
class CommandGroup:
    """Lines of /triad help and of App Home under one heading (text keys); ``first``: everyday work, shown
    before the settings."""

    heading: str
    commands: tuple[str, ...]
    visible: Callable[[Actor], bool] = lambda actor: True
    first: bool = False


@dataclass(frozen=True)
class Subcommand:
    """``/triad <word>``: ``run(runtime, actor, command, respond)``; ``words`` in every language."""

    words: tuple[str, ...]
    run: Callable[[Runtime, Actor, dict[str, Any], Respond], None]


# fn(session, actor) -> list of {"text": mrkdwn, "button": {"action_id", "value", "label"} | None}
HomeWaiting = Callable[[Session, Actor], list[dict[str, Any]]]
# fn(actor) -> list of {"action_id", "label", "style"?}
HomeButtons = Callable[[Actor], list[dict[str, Any]]]
# fn(runtime, actor, event) -> True when it answered the direct message
DirectMessage = Callable[[Runtime, Actor, dict[str, Any]], bool]
# fn(session, reader) -> parts of the set-up page: {"text": mrkdwn, "button": {...} | None}; their buttons are theirs
SetupSection = Callable[[Session, Reader], list[dict[str, Any]]]
# fn(session, event): writes to the outbox what the event owes, in the announcing step's own transaction
Notice = Callable[[Session, Any], None]
# fn(db, workspace, args) -> a context manager giving the bot.gateway.FileUpload the outbox shares (bot/outbox.py
# ``upload``); made at delivery, with no transaction open, and removed after
FileMaker = Callable[[Database, int, dict[str, Any]], AbstractContextManager[FileUpload]]


@dataclass(frozen=True)
class SlackSide:
    listeners: Callable[[App, Runtime], None] = lambda app, runtime: None
    subcommands: tuple[Subcommand, ...] = ()
    direct_messages: tuple[DirectMessage, ...] = ()  # readers of DMs they recognise, asked in the list's order
    any_direct_message: DirectMessage | None = None  # what reads any words, once no domain's reader answered
    home_waiting: tuple[HomeWaiting, ...] = ()
    home_buttons: tuple[HomeButtons, ...] = ()
    help: tuple[CommandGroup, ...] = field(default=())
    setup_sections: tuple[SetupSection, ...] = ()  # parts of the administrators' set-up page
    notices: Mapping[type, Notice] = field(default_factory=dict)  # event type (bot/<domain>/events.py) -> notice
    files: Mapping[str, FileMaker] = field(default_factory=dict)  # the outbox's uploads: maker name -> maker
