"""What the emulated workspace keeps: its members' messages, views, files and the like, as plain records.

``ApiCall``, ``EmulatorEvent`` and ``EmulatorError`` are what tests and the sandbox see; the others
are the emulator's own state, each able to render itself as Slack's Web API returns it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

PERMALINK_HOST = "https://sandbox.slack"

EventKind = Literal[
    "message_posted",
    "message_updated",
    "message_deleted",
    "reaction_added",
    "ephemeral_posted",
    "ephemeral_updated",
    "ephemeral_deleted",
    "view_opened",
    "view_pushed",
    "view_updated",
    "view_closed",
    "home_published",
]


class EmulatorError(Exception):
    """A Slack API error: ``error`` is Slack's code, ``messages`` the response_metadata.

    API handlers raise it to answer ``{"ok": false, "error": ...}``; the public helpers raise
    it to the caller (e.g. ``push_modal`` on a full stack).
    """

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error if not messages else f"{error}: {'; '.join(messages)}")
        self.error = error
        self.messages = messages or []

    def to_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            response["response_metadata"] = {"messages": self.messages}
        return response


@dataclass(frozen=True)
class ApiCall:
    """One request the emulator received, in arrival order.

    ``ok`` is False for refused calls and injected failures; ``fault`` names the injected
    failure mode, if any. Iterating yields ``(method, args)`` so that
    ``for method, args in emulator.calls`` reads naturally.
    """

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic())
    team: str | None = None  # the team whose bot token made the call

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.args))


@dataclass(frozen=True)
class EmulatorEvent:
    """Something a Slack user would see change; ``data`` is a copy of the message or view."""

    kind: EventKind
    channel: str | None
    user: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Team:
    """A workspace Triad is installed in: its id, domain and name, and the bot token Triad has there."""

    id: str
    domain: str
    name: str
    bot_token: str


@dataclass
class User:
    id: str
    name: str
    real_name: str
    locale: str
    tz: str
    tz_offset: int
    is_admin: bool
    is_bot: bool = False
    is_owner: bool = False
    team_id: str = ""

    def to_api(self, *, include_locale: bool) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "tz": self.tz,
            "tz_offset": self.tz_offset,
            "is_admin": self.is_admin or self.is_owner,
            "is_owner": self.is_owner,
            "is_bot": self.is_bot,
            "profile": {"real_name": self.real_name, "display_name": self.name},
        }
        if include_locale:
            user["locale"] = self.locale
        return user


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    team: str
    text: str
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    files: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    subtype: str | None = None
    edited: dict[str, str] | None = None
    replies: list[tuple[str, str]] = field(default_factory=list)  # (ts, user) oldest first
    reactions: dict[str, list[str]] = field(default_factory=dict)

    def to_api(self, *, with_metadata: bool) -> dict[str, Any]:
        """The message as Slack returns it; metadata only when asked, as Slack does."""
        message: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user, "team": self.team}
        message["text"] = self.text
        optional = {
            "subtype": self.subtype,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "blocks": self.blocks,
            "attachments": self.attachments,
            "files": self.files,
            "edited": self.edited,
            "metadata": self.metadata if with_metadata else None,
        }
        message.update({k: copy.deepcopy(v) for k, v in optional.items() if v is not None})
        if self.thread_ts is not None:
            message["thread_ts"] = self.thread_ts
        if self.replies:
            message["thread_ts"] = self.ts
            message["reply_count"] = len(self.replies)
            message["reply_users"] = sorted({user for _, user in self.replies})
            message["latest_reply"] = self.replies[-1][0]
        if self.reactions:
            message["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in self.reactions.items()
            ]
        return message

    def observed(self) -> dict[str, Any]:
        """The message for tests: everything Slack stores, plus its channel."""
        return {**self.to_api(with_metadata=True), "channel": self.channel}


@dataclass
class Ephemeral:
    channel: str
    recipient: str
    ts: str
    author: str
    text: str
    blocks: list[Any] | None
    attachments: list[Any] | None
    thread_ts: str | None

    def observed(self) -> dict[str, Any]:
        ephemeral: dict[str, Any] = {
            "type": "message",
            "is_ephemeral": True,
            "channel": self.channel,
            "recipient": self.recipient,
            "user": self.author,
            "ts": self.ts,
            "text": self.text,
        }
        for key, value in (("blocks", self.blocks), ("attachments", self.attachments), ("thread_ts", self.thread_ts)):
            if value is not None:
                ephemeral[key] = copy.deepcopy(value)
        return ephemeral


@dataclass
class View:
    id: str
    user: str
    payload: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None

    @property
    def external_id(self) -> str:
        return str(self.payload.get("external_id") or "")

    def to_api(self, team_id: str, app_id: str, bot_id: str) -> dict[str, Any]:
        """The view object Slack returns from views.* and puts in interaction payloads."""
        view: dict[str, Any] = {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
        }
        view.update(copy.deepcopy(self.payload))
        view.update(
            {
                "id": self.id,
                "team_id": team_id,
                "state": {"values": {}},
                "hash": self.hash,
                "root_view_id": self.root_view_id,
                "previous_view_id": self.previous_view_id,
                "app_id": app_id,
                "app_installed_team_id": team_id,
                "bot_id": bot_id,
            }
        )
        return view


@dataclass
class File:
    id: str
    name: str
    title: str
    mimetype: str
    user: str
    created: int
    size: int
    url_private: str
    team_id: str  # the workspace whose bot token may download it
    content: bytes | None = None
    channels: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "filetype": self.name.rpartition(".")[2].lower() if "." in self.name else "binary",
            "user": self.user,
            "size": self.size,
            "is_external": False,
            "is_public": bool(self.channels),
            "url_private": self.url_private,
            "url_private_download": self.url_private + "?download=1",
            "permalink": f"{PERMALINK_HOST}/files/{self.user}/{self.id}/{quote(self.name)}",
            "channels": list(self.channels),
        }


@dataclass
class Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    channel: str
    user: str
    message_ts: str | None
    uses: int = 0
