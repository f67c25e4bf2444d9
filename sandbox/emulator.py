"""A local fake of the Slack Web API, for the test-suite and the interactive sandbox.

``SlackEmulator`` serves the Web API methods Triad uses on 127.0.0.1 (random port) so that the
real ``slack_sdk.WebClient`` -- and therefore the real Bolt app -- can be driven end to end
without Slack: pass ``WebClient(base_url=emulator.api_url, token=emulator.bot_token)``.

It behaves like Slack where Triad's correctness depends on it: every answer is HTTP 200 with
``{"ok": ...}``; posting to a user id lands in that user's DM; threads, edits, ephemerals,
modal stacks (3 views deep), single-use trigger ids that expire after 3 s, view hashes,
``response_url`` semantics and the three-step file upload. Payloads are checked against the
Block Kit limits (``bot.blockkit``) and refused as Slack would refuse them.

Tests and the sandbox observe what the app did through ``calls``, ``messages()``,
``open_modal()`` and friends, wait for asynchronous work with ``wait_for()``, get told of visible
changes through ``subscribe()``, and inject failures (HTTP 500/503/429, timeouts, connection
resets, Slack errors, slow answers, or "stored the message and still answered an error") with
``fail()`` to exercise retries.

Given ``limits`` (``bot.slack_limits``, time-scaled if wished) it enforces Slack's rate limits
as Slack does: chat.postMessage per channel with a short burst, every method per its tier, and
HTTP 429 with Retry-After when a caller goes faster.

All state lives in memory behind one lock; the HTTP server runs in daemon threads.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import itertools
import json
import logging
import math
import mimetypes
import random
import secrets
import socket
import string
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TypeVar, cast
from urllib.parse import parse_qsl, quote, urlsplit

from bot import blockkit
from bot.slack_limits import Limits, admit

__all__ = [
    "ApiCall",
    "DOWNLOAD_METHOD",
    "EmulatorError",
    "EmulatorEvent",
    "EventKind",
    "RESPONSE_URL_METHOD",
    "SlackEmulator",
    "UPLOAD_METHOD",
    "interactive_elements",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

PERMALINK_HOST = "https://sandbox.slack"
MAX_MODAL_STACK = 3
RESPONSE_URL_MAX_USES = 5
HISTORY_LIMIT_DEFAULT = 100

# Pseudo-method names under which the non-API URLs appear in ``calls`` and can be given to
# ``fail(methods=...)``: the upload URL, a file's url_private, and response_urls.
UPLOAD_METHOD = "upload_url"
DOWNLOAD_METHOD = "url_private"
RESPONSE_URL_METHOD = "response_url"

# Arguments that slack_sdk sends as JSON-encoded strings when it sends a form.
JSON_ARGS = ("blocks", "attachments", "metadata", "view", "files")
# Element types that never carry an action_id.
NON_INTERACTIVE_TYPES = frozenset({"image", "plain_text", "mrkdwn"})
FAULT_MODES = frozenset({"500", "503", "429", "timeout", "reset", "slow", "process_then_fail", "process_then_reset",
                         "process_then_hang"})
# Modes where the call is performed before the failure: Slack stored the message and still answered an error.
PROCESSED_FAULTS = frozenset({"process_then_fail", "process_then_reset", "process_then_hang"})
SLACK_ERROR_PREFIX = "slack_error:"
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"

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

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.args))


@dataclass(frozen=True)
class EmulatorEvent:
    """Something a Slack user would see change; ``data`` is a copy of the message or view."""

    kind: EventKind
    channel: str | None
    user: str | None
    data: dict[str, Any]


# -- internal state records -------------------------------------------------------------------


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    locale: str
    tz: str
    tz_offset: int
    is_admin: bool
    is_bot: bool = False
    is_owner: bool = False

    def to_api(self, team_id: str, *, include_locale: bool) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
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
class _Message:
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
class _Ephemeral:
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
class _View:
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
class _File:
    id: str
    name: str
    title: str
    mimetype: str
    user: str
    created: int
    size: int
    url_private: str
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
class _Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class _ResponseUrl:
    channel: str
    user: str
    message_ts: str | None
    uses: int = 0


@dataclass
class _Fault:
    mode: str
    remaining: int | None
    methods: frozenset[str] | None
    retry_after: int
    timeout_sleep: float
    channels: frozenset[str] | None = None
    probability: float = 1.0

    def applies_to(self, method: str, channel: str | None) -> bool:
        return (self.methods is None or method in self.methods) and (self.channels is None or channel in self.channels)


# -- HTTP plumbing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class _Reply:
    """What to do with a request: answer it, close the socket silently, or reset it."""

    action: Literal["answer", "close", "reset"] = "answer"
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Mapping[str, Any], headers: dict[str, str] | None = None) -> _Reply:
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=headers or {})

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> _Reply:
        return cls(status=status, body=text.encode("utf-8"), content_type=content_type)


_PROCESSED_THEN_FAILED = _Reply.text(500, "error")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into ``_Request`` objects and writes the emulator's ``_Reply``."""

    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the emulator records every call itself."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.emulator._handle(_Request(self.command, self.path, headers, body))
        if reply.action == "reset":
            self._reset()
        elif reply.action == "close":
            self.close_connection = True
        else:
            self._answer(reply)

    def _answer(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, as a crashing proxy would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


# -- the emulator -----------------------------------------------------------------------------


class SlackEmulator:
    """A fake Slack workspace with its Web API on loopback. See the module docstring."""

    team_domain = "triad-sandbox"

    def __init__(
        self,
        bot_user_id: str = "UBOT",
        team_id: str = "T0TRIAD",
        bot_token: str = "xoxb-sandbox",
        *,
        bot_id: str = "B0TRIAD",
        app_id: str = "A0TRIAD",
        trigger_ttl: float = 3.0,
        validate_blocks: bool = True,
        limits: Limits | None = None,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_token = bot_token
        self.bot_id = bot_id
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.validate_blocks = validate_blocks
        self.limits = limits
        self._lanes: dict[str, float] = {}  # rate-limit lane -> when it next lets a call through (monotonic)
        self._fault_dice = random.Random(0)

        self._cond = threading.Condition(threading.RLock())
        self._healed = threading.Event()  # wakes requests hanging in "timeout" mode
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._origin: str | None = None
        self._subscribers: list[Callable[[EmulatorEvent], None]] = []
        self._pending_events: list[EmulatorEvent] = []
        self._change_depth = 0
        self._ids = itertools.count(1)
        # Slack's view and file ids are unique for ever; an app may remember them across restarts
        # (the sandbox keeps its database), so each emulator run gets its own id prefix.
        self._run = secrets.token_hex(3).upper()
        self._last_ts_micros = 0

        self._users: dict[str, _User] = {}
        self._channels: dict[str, str] = {}  # id -> name
        self._dm_users: dict[str, str] = {}  # DM channel id -> user id
        self._clear_activity()
        self.add_user(bot_user_id, "triad", "Triad", is_bot=True)

        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    def _clear_activity(self) -> None:
        """Forget everything that happened; users and channels stay."""
        self._calls: list[ApiCall] = []
        self._messages: dict[tuple[str, str], _Message] = {}  # insertion order = posting order
        self._ephemerals: list[_Ephemeral] = []
        self._modal_stacks: dict[str, list[_View]] = {}
        self._homes: dict[str, _View] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._files: dict[str, _File] = {}
        self._faults: list[_Fault] = []
        self._healed.set()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Start serving on a free loopback port; returns self."""
        if self._server is not None:
            raise RuntimeError("SlackEmulator already started")
        self._server = _Server(self)
        self._origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests hanging in "timeout" mode are released."""
        if self._server is None:
            return
        self._healed.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._origin is None:
            raise RuntimeError("SlackEmulator is not started")
        return self._origin

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give to ``slack_sdk.WebClient``."""
        return f"{self.origin}/api/"

    # -- workspace setup ------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        locale: str = "en-US",
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_admin: bool = False,
        *,
        is_bot: bool = False,
        is_owner: bool = False,
    ) -> None:
        """Add (or replace) a workspace member; each member has a DM channel with the bot."""
        with self._changing():
            self._users[user_id] = _User(user_id, name, real_name, locale, tz, tz_offset, is_admin, is_bot, is_owner)
            self._dm_users[self.dm_channel(user_id)] = user_id

    def add_channel(self, channel_id: str, name: str) -> None:
        """Add a public channel the bot is a member of."""
        with self._changing():
            self._channels[channel_id] = name

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The id of the bot's DM channel with ``user_id`` (stable: ``U123`` -> ``D123``)."""
        return "D" + user_id[1:]

    def dm_user(self, channel_id: str) -> str | None:
        """The user on the other side of DM ``channel_id``, or None for other channels."""
        with self._cond:
            return self._dm_users.get(channel_id)

    def user(self, user_id: str) -> dict[str, Any] | None:
        """The member as ``users.info`` would return it (with locale), or None."""
        with self._cond:
            user = self._users.get(user_id)
            return user.to_api(self.team_id, include_locale=True) if user else None

    def channel_name(self, channel_id: str) -> str | None:
        """A channel's name; ``"directmessage"`` for DMs, as Slack puts in payloads."""
        with self._cond:
            if channel_id in self._dm_users:
                return "directmessage"
            return self._channels.get(channel_id)

    # -- interaction plumbing used by the driver --------------------------------------------

    def issue_trigger(self, user_id: str) -> str:
        """Register a fresh trigger_id for an interaction by ``user_id`` (valid ``trigger_ttl`` s)."""
        with self._changing():
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic())
            return trigger_id

    def new_response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        """A response_url for an interaction by ``user_id`` in ``channel_id``.

        ``message_ts`` is the message the interaction came from (a stored message or an
        ephemeral), which ``replace_original`` / ``delete_original`` act on.
        """
        with self._changing():
            channel = self._postable_channel(channel_id)
            url = f"{self.origin}/actions/{self.team_id}/{next(self._ids)}/{secrets.token_hex(12)}"
            self._response_urls[urlsplit(url).path] = _ResponseUrl(channel, user_id, message_ts)
            return url

    def post_as_user(
        self, user_id: str, text: str, channel_id: str | None = None, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Record a message written by a member (default: in their DM with the bot)."""
        with self._changing():
            channel = self._existing_channel(channel_id or self.dm_channel(user_id))
            message = self._store_message(channel, author=user_id, text=text, thread_ts=thread_ts, from_bot=False)
            return message.observed()

    def add_file(self, user_id: str, name: str, content: bytes, mimetype: str) -> dict[str, Any]:
        """Store a file uploaded by a member, as a file_input element would hand it over."""
        with self._changing():
            stored = self._new_file(name, len(content), user_id, mimetype)
            stored.content = bytes(content)
            return stored.to_api()

    def close_modal(self, user_id: str) -> None:
        """Close every view of the user's modal (``response_action: clear``, or X on a root)."""
        with self._changing():
            for view in reversed(self._modal_stacks.pop(user_id, [])):
                self._emit("view_closed", None, user_id, self._view_api(view))

    def pop_modal(self, user_id: str) -> dict[str, Any] | None:
        """Close the top view only (submitting or cancelling a pushed view); returns it."""
        with self._changing():
            stack = self._modal_stacks.get(user_id)
            if not stack:
                return None
            view = self._view_api(stack.pop())
            if not stack:
                del self._modal_stacks[user_id]
            self._emit("view_closed", None, user_id, view)
            return view

    def replace_top_modal(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the top view's content, keeping its id (``response_action: update``)."""
        with self._changing():
            stack = self._modal_stacks.get(user_id)
            if not stack:
                raise EmulatorError("not_found", [f"no modal is open for {user_id}"])
            return self._update_view(stack[-1], self._checked_view(view, "modal"))

    def push_modal(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Push a view on the user's modal (``response_action: push``); at most 3 deep."""
        with self._changing():
            return self._push_view(user_id, self._checked_view(view, "modal"))

    # -- failure injection ----------------------------------------------------------------

    def fail(
        self,
        mode: str,
        count: int | None = None,
        methods: list[str] | tuple[str, ...] | set[str] | None = None,
        *,
        retry_after: int = 1,
        timeout_sleep: float = 5.0,
        channels: list[str] | tuple[str, ...] | set[str] | None = None,
        probability: float = 1.0,
    ) -> None:
        """Make the next ``count`` matching requests fail (``None``: until ``heal()``).

        Modes: ``"500"`` / ``"503"`` (HTTP error, body ``error``), ``"429"`` (with
        ``Retry-After: retry_after``), ``"timeout"`` (hang until healed or ``timeout_sleep``
        seconds, then close without answering), ``"reset"`` (TCP reset without answering),
        ``"slow"`` (answer normally after ``timeout_sleep`` seconds or when healed),
        ``"slack_error:<code>"`` (HTTP 200, ``ok: false``) and the ones where Slack stored the
        message and still answered an error, so that a retry may act twice: ``"process_then_fail"``
        (HTTP 500), ``"process_then_reset"`` (TCP reset) and ``"process_then_hang"`` (no answer until
        healed or ``timeout_sleep`` seconds). ``methods`` limits the failure to those API methods (or
        UPLOAD_METHOD, DOWNLOAD_METHOD, RESPONSE_URL_METHOD); ``channels`` to calls into those channels
        (a user id stands for their DM); ``probability`` makes it strike only that share of matching
        requests, at random (seeded: ``seed_faults``).
        """
        if mode not in FAULT_MODES and not (mode.startswith(SLACK_ERROR_PREFIX) and mode[len(SLACK_ERROR_PREFIX) :]):
            raise ValueError(f"unknown failure mode {mode!r}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 (or None for until heal())")
        fault = _Fault(mode, count, frozenset(methods) if methods is not None else None, retry_after, timeout_sleep,
                       frozenset(self._resolved_channel(c) for c in channels) if channels is not None else None,
                       probability)
        with self._cond:
            self._faults.append(fault)
            if mode in ("timeout", "slow", "process_then_hang"):
                self._healed.clear()

    def seed_faults(self, seed: int) -> None:
        """Make faults given a ``probability`` strike the same requests on every run."""
        self._fault_dice.seed(seed)

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message as a member would (e.g. a thread's parent, to see what replies do then)."""
        with self._changing():
            self._delete_message(self._find_message(self._resolved_channel(channel), ts))

    def heal(self) -> None:
        """Remove every injected failure and release hanging requests."""
        with self._cond:
            self._faults.clear()
            self._healed.set()

    # -- observation ----------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every request received so far, in order, including refused and failed ones."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method."""
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages (thread replies included), oldest first, each with its channel."""
        with self._cond:
            return [m.observed() for m in self._messages.values() if channel is None or m.channel == channel]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current version of one message (or ephemeral), or None once deleted."""
        with self._cond:
            stored = self._messages.get((channel, ts))
            if stored is not None:
                return stored.observed()
            return next((e.observed() for e in self._ephemerals if e.channel == channel and e.ts == ts), None)

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The current version of an open modal view or a Home view, or None."""
        with self._cond:
            return next((self._view_api(v) for v in self._all_views() if v.id == view_id), None)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's parent followed by its replies, oldest first."""
        with self._cond:
            parent = self._thread_parent(channel, ts)
            return [parent.observed()] + [self._messages[(channel, reply)].observed() for reply, _ in parent.replies]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        """Both sides of the user's DM with the bot, oldest first."""
        return self.messages(self.dm_channel(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages shown (to ``user_id``), oldest first."""
        with self._cond:
            return [e.observed() for e in self._ephemerals if user_id is None or e.recipient == user_id]

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for the user."""
        with self._cond:
            view = self._homes.get(user_id)
            return self._view_api(view) if view else None

    def open_modal(self, user_id: str) -> dict[str, Any] | None:
        """The view the user currently sees in a modal (top of the stack), or None."""
        with self._cond:
            stack = self._modal_stacks.get(user_id)
            return self._view_api(stack[-1]) if stack else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        """The user's modal views, root first."""
        with self._cond:
            return [self._view_api(view) for view in self._modal_stacks.get(user_id, [])]

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes uploaded for a file, or None if nothing was uploaded."""
        with self._cond:
            stored = self._files.get(file_id)
            return stored.content if stored else None

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, description: str | None = None) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        The predicate runs under the emulator's lock, after every change, so it may call the
        observation methods. Raises TimeoutError naming the last calls received.
        """
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
            if result:
                return result
            recent = ", ".join(
                f"{c.method}({'ok' if c.ok else c.error or c.fault})" for c in self._calls[-10:]
            )
        what = description or getattr(predicate, "__name__", "condition")
        raise TimeoutError(f"{what} not met within {timeout}s; last calls: [{recent}]")

    def subscribe(self, callback: Callable[[EmulatorEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (outside the lock) on each visible change; returns an unsubscriber."""
        with self._cond:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def reset(self) -> None:
        """Forget messages, views, files, calls and failures; keep users and channels."""
        with self._changing():
            self._clear_activity()

    # -- request handling -----------------------------------------------------------------

    def _handle(self, request: _Request) -> _Reply:
        """Route one HTTP request; never raises (an emulator bug answers fatal_error)."""
        path = urlsplit(request.path).path
        try:
            if path.startswith("/api/"):
                return self._api_request(path[len("/api/") :], request)
            if path.startswith("/upload/"):
                return self._upload_request(path, request)
            if path.startswith("/files-pri/"):
                return self._download_request(path, request)
            if path.startswith("/actions/"):
                return self._response_url_request(path, request)
            return _Reply.text(404, "not found")
        except Exception:
            logger.exception("Slack emulator failed on %s", path)
            self._record(path, {}, ok=False, error="fatal_error")
            return _Reply.json(500, {"ok": False, "error": "fatal_error"})

    def _api_request(self, method: str, request: _Request) -> _Reply:
        try:
            args = _request_args(request)
        except EmulatorError as error:
            self._record(method, {}, ok=False, error=error.error)
            return _Reply.json(200, error.to_response())
        token = _bearer_token(request.headers) or args.pop("token", None)
        args.pop("token", None)
        channel = self._resolved_channel(str(args["channel"])) if args.get("channel") else None
        limited = self._rate_limited(method, channel)
        if limited is not None:
            self._record(method, args, ok=False, error="ratelimited")
            return _Reply.json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(math.ceil(limited))})
        fault = self._take_fault(method, channel)
        refusal = self._injected_reply(method, args, fault)
        if refusal is not None:
            return refusal
        result = self._call(method, args, token, fault.mode if fault else None)
        if fault is None or fault.mode == "slow":
            return _Reply.json(200, result)
        if fault.mode == "process_then_reset":
            return _Reply(action="reset")
        if fault.mode == "process_then_hang":
            self._healed.wait(fault.timeout_sleep)
            return _Reply(action="close")
        return _PROCESSED_THEN_FAILED

    def _resolved_channel(self, channel: str) -> str:
        """A user id means their DM, as when posting."""
        with self._cond:
            user = self._users.get(channel)
            return self.dm_channel(channel) if user is not None and not user.is_bot else channel

    def _rate_limited(self, method: str, channel: str | None) -> float | None:
        """Seconds to wait if this call goes over Slack's limits, else None (and it is counted). Retry-After
        is sent in whole seconds, as Slack does (slack_sdk reads it as an integer), even when limits are scaled."""
        if self.limits is None:
            return None
        lanes = [(method, self.limits.method(method))]
        if method == "chat.postMessage" and channel:
            lanes.append((f"{method} {channel}", self.limits.channel_post))
        now = time.monotonic()
        with self._cond:
            booked = {}
            for name, rate in lanes:
                if rate is None:
                    continue
                after = admit(self._lanes.get(name), now, rate)
                if after is None:
                    return max(0.001, self._lanes[name] - now)
                booked[name] = after
            self._lanes.update(booked)
        return None

    def _call(self, method: str, args: dict[str, Any], token: str | None, fault: str | None) -> dict[str, Any]:
        """Authenticate and run one API method under the lock; record it."""
        with self._changing():
            try:
                if not token:
                    raise EmulatorError("not_authed")
                if token != self.bot_token:
                    raise EmulatorError("invalid_auth")
                handler = self._methods.get(method)
                if handler is None:
                    raise EmulatorError("unknown_method")
                result = {"ok": True, **handler(args)}
            except EmulatorError as error:
                result = error.to_response()
            self._record(method, args, ok=result["ok"], error=result.get("error"), fault=fault)
            return result

    def _upload_request(self, path: str, request: _Request) -> _Reply:
        """The upload URL returned by files.getUploadURLExternal: store the raw bytes."""
        file_id = path.rstrip("/").rpartition("/")[2]
        fault = self._take_fault(UPLOAD_METHOD, None)
        refusal = self._injected_reply(UPLOAD_METHOD, {"file": file_id}, fault)
        if refusal is not None:
            return refusal
        content = _uploaded_bytes(request)
        with self._changing():
            stored = self._files.get(file_id)
            if stored is not None:
                stored.content, stored.size = content, len(content)
            error = None if stored else "file_not_found"
            fault_mode = fault.mode if fault else None
            self._record(UPLOAD_METHOD, {"file": file_id, "size": len(content)}, ok=stored is not None, error=error,
                         fault=fault_mode)
        if fault is not None and fault.mode != "slow":
            return _PROCESSED_THEN_FAILED
        return _Reply.text(200, f"OK - {len(content)}") if stored else _Reply.text(404, "file_not_found")

    def _download_request(self, path: str, request: _Request) -> _Reply:
        """A file's url_private: the bytes with the bot token, Slack's login page without."""
        file_id = path.split("/")[2].rpartition("-")[2]
        fault = self._take_fault(DOWNLOAD_METHOD, None)
        refusal = self._injected_reply(DOWNLOAD_METHOD, {"file": file_id}, fault)
        if refusal is not None:
            return refusal
        authorised = _bearer_token(request.headers) == self.bot_token
        with self._changing():
            stored = self._files.get(file_id)
            error = None if stored else "file_not_found"
            if stored and not authorised:
                error = "not_authed"
            self._record(DOWNLOAD_METHOD, {"file": file_id}, ok=error is None, error=error,
                         fault=fault.mode if fault else None)
        if fault is not None and fault.mode != "slow":
            return _PROCESSED_THEN_FAILED
        if stored is None:
            return _Reply.text(404, "file_not_found")
        if not authorised:  # Slack answers 200 with its HTML sign-in page: check the content type
            return _Reply(body=LOGIN_PAGE, content_type="text/html; charset=utf-8")
        return _Reply(body=stored.content or b"", content_type=stored.mimetype)

    def _response_url_request(self, path: str, request: _Request) -> _Reply:
        """A response_url POST, as Bolt's ``respond()`` sends it."""
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._record(RESPONSE_URL_METHOD, {}, ok=False, error="invalid_payload")
            return _Reply.json(400, {"ok": False, "error": "invalid_payload"})
        fault = self._take_fault(RESPONSE_URL_METHOD, None)
        refusal = self._injected_reply(RESPONSE_URL_METHOD, payload, fault)
        if refusal is not None:
            return refusal
        result: dict[str, Any]
        with self._changing():
            try:
                self._respond(path, payload)
                status, result = 200, {"ok": True}
            except EmulatorError as error:
                status = 404 if error.error in ("no_service", "used_url") else 400
                result = error.to_response()
            self._record(RESPONSE_URL_METHOD, payload, ok=result["ok"], error=result.get("error"),
                         fault=fault.mode if fault else None)
        return _PROCESSED_THEN_FAILED if fault and fault.mode != "slow" else _Reply.json(status, result)

    def _take_fault(self, method: str, channel: str | None) -> _Fault | None:
        """The injected failure for this request, if any; counts it down."""
        with self._cond:
            for fault in self._faults:
                if fault.applies_to(method, channel) and (
                        fault.probability >= 1 or self._fault_dice.random() < fault.probability):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
            return None

    def _injected_reply(self, method: str, args: dict[str, Any], fault: _Fault | None) -> _Reply | None:
        """The reply of an injected failure that replaces the call (recorded), or None to go on.

        "process_then_fail" goes on: the caller performs the call and answers
        ``_PROCESSED_THEN_FAILED``.
        """
        if fault is not None and fault.mode == "slow":
            self._healed.wait(fault.timeout_sleep)  # in the handler thread, outside the lock
            return None
        if fault is None or fault.mode in PROCESSED_FAULTS:
            return None
        self._record(method, args, ok=False, fault=fault.mode)
        return self._fault_reply(fault)

    def _fault_reply(self, fault: _Fault) -> _Reply:
        if fault.mode in ("500", "503"):
            return _Reply.text(int(fault.mode), "error")
        if fault.mode == "429":
            retry_after = str(math.ceil(fault.retry_after))
            return _Reply.json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry_after})
        if fault.mode == "reset":
            return _Reply(action="reset")
        if fault.mode == "timeout":
            self._healed.wait(fault.timeout_sleep)  # in the handler thread, outside the lock
            return _Reply(action="close")
        return _Reply.json(200, {"ok": False, "error": fault.mode[len(SLACK_ERROR_PREFIX) :]})

    def _record(
        self, method: str, args: dict[str, Any], *, ok: bool, error: str | None = None, fault: str | None = None
    ) -> None:
        with self._cond:
            self._calls.append(ApiCall(method, copy.deepcopy(args), ok, error, fault))
            self._cond.notify_all()

    # -- change tracking ------------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Hold the lock while changing state; then wake waiters and tell subscribers."""
        with self._cond:
            self._change_depth += 1
            try:
                yield
            finally:
                self._change_depth -= 1
                self._cond.notify_all()
                events: list[EmulatorEvent] = []
                if self._change_depth == 0:
                    events, self._pending_events = self._pending_events, []
                subscribers = list(self._subscribers)
        for event in events:
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:
                    logger.exception("Slack emulator subscriber failed on %s", event.kind)

    def _emit(self, kind: EventKind, channel: str | None, user: str | None, data: dict[str, Any]) -> None:
        self._pending_events.append(EmulatorEvent(kind, channel, user, data))

    # -- helpers on state (call with the lock held) ---------------------------------------

    def _next_ts(self) -> str:
        """A unique, increasing message timestamp close to the wall clock."""
        micros = max(time.time_ns() // 1000, self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _postable_channel(self, channel: str) -> str:
        """Resolve a channel for posting: a member's user id means their DM, as in Slack."""
        user = self._users.get(channel)
        if user is not None and not user.is_bot:
            return self.dm_channel(channel)
        return self._existing_channel(channel)

    def _existing_channel(self, channel: str) -> str:
        if channel in self._channels or channel in self._dm_users:
            return channel
        raise EmulatorError("channel_not_found")

    def _find_message(self, channel: str, ts: str) -> _Message:
        message = self._messages.get((channel, ts))
        if message is None:
            raise EmulatorError("message_not_found")
        return message

    def _thread_parent(self, channel: str, ts: str) -> _Message:
        message = self._messages.get((channel, ts))
        if message is None:
            raise EmulatorError("thread_not_found")
        if message.thread_ts is not None and message.thread_ts != message.ts:
            return self._messages[(channel, message.thread_ts)]
        return message

    def _content(self, args: Mapping[str, Any]) -> tuple[str, list[Any] | None, list[Any] | None]:
        """Text, blocks and attachments of a message, refused as Slack refuses them."""
        text = args.get("text")
        text = "" if text is None else str(text)
        blocks, attachments = args.get("blocks") or None, args.get("attachments") or None
        if not text and not blocks and not attachments:
            raise EmulatorError("no_text")
        if len(text) > blockkit.MESSAGE_TEXT_MAX:
            raise EmulatorError("msg_too_long")
        if blocks is not None:
            if self.validate_blocks:
                found = blockkit.problems({"blocks": blocks}, "message")
                if found:
                    raise EmulatorError("invalid_blocks", found)
            blocks = _with_generated_ids(blocks)
        return text, blocks, attachments

    def _store_message(
        self,
        channel: str,
        *,
        author: str,
        text: str,
        blocks: list[Any] | None = None,
        attachments: list[Any] | None = None,
        files: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        from_bot: bool = True,
    ) -> _Message:
        """Post a message; a thread_ts of a reply threads under that reply's parent, as in Slack.

        Unlike Slack, an unknown thread_ts is refused (thread_not_found) so that tests notice.
        """
        parent = self._thread_parent(channel, thread_ts) if thread_ts else None
        message = _Message(
            channel=channel,
            ts=self._next_ts(),
            user=author,
            team=self.team_id,
            text=text,
            blocks=blocks,
            attachments=attachments,
            files=files,
            metadata=copy.deepcopy(metadata),
            thread_ts=parent.ts if parent else None,
            bot_id=self.bot_id if from_bot else None,
            app_id=self.app_id if from_bot else None,
        )
        self._messages[(channel, message.ts)] = message
        if parent is not None:
            parent.replies.append((message.ts, author))
        self._emit("message_posted", channel, author, message.observed())
        return message

    def _new_file(self, name: str, size: int, user: str, mimetype: str | None = None) -> _File:
        file_id = f"F{self._run}{next(self._ids):06d}"
        url = f"{self.origin}/files-pri/{self.team_id}-{file_id}/{quote(name)}"
        mime = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = _File(file_id, name, name, mime, user, int(time.time()), size, url)
        self._files[file_id] = stored
        return stored

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _view_api(self, view: _View) -> dict[str, Any]:
        return view.to_api(self.team_id, self.app_id, self.bot_id)

    def _checked_view(self, view: Any, surface: blockkit.Surface) -> dict[str, Any]:
        """A copy of a view argument with generated ids, refused as Slack refuses it."""
        if not isinstance(view, Mapping):
            raise EmulatorError("invalid_arguments", ["view must be a JSON object"])
        if view.get("type") != surface:
            raise EmulatorError("invalid_arguments", [f"view type must be {surface!r}"])
        if blockkit.view_size(view) > blockkit.VIEW_BYTES_MAX:
            raise EmulatorError("view_too_large")
        if self.validate_blocks:
            found = blockkit.problems(view, surface)
            if found:
                raise EmulatorError("invalid_arguments", found)
        checked = copy.deepcopy(dict(view))
        checked["blocks"] = _with_generated_ids(checked.get("blocks") or [])
        return checked

    def _check_external_id(self, payload: Mapping[str, Any], view_id: str | None) -> None:
        external_id = payload.get("external_id")
        if external_id and any(v.external_id == external_id and v.id != view_id for v in self._all_views()):
            raise EmulatorError("duplicate_external_id")

    def _all_views(self) -> Iterator[_View]:
        for stack in self._modal_stacks.values():
            yield from stack
        yield from self._homes.values()

    def _find_view(self, view_id: str | None, external_id: str | None) -> _View:
        for view in self._all_views():
            if (view_id and view.id == view_id) or (external_id and view.external_id == external_id):
                return view
        raise EmulatorError("not_found")

    def _exchange_trigger(self, trigger_id: Any) -> _Trigger:
        """Use a trigger_id once, within its lifetime, as Slack requires."""
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise EmulatorError("invalid_trigger_id")
        if trigger.used:
            raise EmulatorError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise EmulatorError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _new_view(self, user: str, payload: dict[str, Any], root: _View | None, previous: _View | None) -> _View:
        view_id = f"V{self._run}{next(self._ids):06d}"
        return _View(view_id, user, payload, self._new_hash(), root.id if root else view_id,
                     previous.id if previous else None)

    def _push_view(self, user: str, payload: dict[str, Any]) -> dict[str, Any]:
        stack = self._modal_stacks.get(user)
        if not stack:
            raise EmulatorError("not_found", [f"no modal is open for {user} to push onto"])
        if len(stack) >= MAX_MODAL_STACK:
            raise EmulatorError("push_limit_reached")
        self._check_external_id(payload, None)
        view = self._new_view(user, payload, stack[0], stack[-1])
        stack.append(view)
        data = self._view_api(view)
        self._emit("view_pushed", None, user, data)
        return data

    def _update_view(self, view: _View, payload: dict[str, Any]) -> dict[str, Any]:
        self._check_external_id(payload, view.id)
        view.payload, view.hash = payload, self._new_hash()
        data = self._view_api(view)
        kind: EventKind = "home_published" if payload.get("type") == "home" else "view_updated"
        self._emit(kind, None, view.user, data)
        return data

    def _respond(self, path: str, payload: dict[str, Any]) -> None:
        """Apply a response_url POST: delete/replace the original, or post a new message."""
        hook = self._response_urls.get(path)
        if hook is None:
            raise EmulatorError("no_service")
        if hook.uses >= RESPONSE_URL_MAX_USES:
            raise EmulatorError("used_url")
        hook.uses += 1
        if _flag(payload, "delete_original") and hook.message_ts:
            self._delete_original(hook)
        elif _flag(payload, "replace_original") and hook.message_ts:
            self._replace_original(hook, payload)
        elif payload.get("response_type") == "in_channel":
            text, blocks, attachments = self._content(payload)
            self._store_message(hook.channel, author=self.bot_user_id, text=text, blocks=blocks,
                                attachments=attachments, thread_ts=payload.get("thread_ts"))
        else:
            self._post_ephemeral(hook.channel, hook.user, payload)

    def _original_ephemeral(self, hook: _ResponseUrl) -> _Ephemeral | None:
        return next((e for e in self._ephemerals if e.ts == hook.message_ts and e.recipient == hook.user), None)

    def _delete_original(self, hook: _ResponseUrl) -> None:
        ephemeral = self._original_ephemeral(hook)
        if ephemeral is not None:
            self._ephemerals.remove(ephemeral)
            self._emit("ephemeral_deleted", ephemeral.channel, ephemeral.recipient, ephemeral.observed())
            return
        self._delete_message(self._find_message(hook.channel, str(hook.message_ts)))

    def _replace_original(self, hook: _ResponseUrl, payload: Mapping[str, Any]) -> None:
        text, blocks, attachments = self._content(payload)
        ephemeral = self._original_ephemeral(hook)
        if ephemeral is not None:
            ephemeral.text, ephemeral.blocks, ephemeral.attachments = text, blocks, attachments
            self._emit("ephemeral_updated", ephemeral.channel, ephemeral.recipient, ephemeral.observed())
            return
        message = self._find_message(hook.channel, str(hook.message_ts))
        message.text, message.blocks, message.attachments = text, blocks, attachments
        message.edited = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._emit("message_updated", message.channel, message.user, message.observed())

    def _delete_message(self, message: _Message) -> None:
        """Delete a message; a thread parent with replies stays as a tombstone, as in Slack."""
        if message.replies:
            message.text, message.subtype = "This message was deleted.", "tombstone"
            message.blocks = message.attachments = message.files = None
        else:
            del self._messages[(message.channel, message.ts)]
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self._messages[(message.channel, message.thread_ts)]
            parent.replies = [(ts, user) for ts, user in parent.replies if ts != message.ts]
        self._emit("message_deleted", message.channel, message.user, message.observed())

    def _post_ephemeral(self, channel: str, recipient: str, args: Mapping[str, Any]) -> _Ephemeral:
        text, blocks, attachments = self._content(args)
        thread_ts = args.get("thread_ts")
        ephemeral = _Ephemeral(channel, recipient, self._next_ts(), self.bot_user_id, text, blocks, attachments,
                               str(thread_ts) if thread_ts else None)
        self._ephemerals.append(ephemeral)
        self._emit("ephemeral_posted", channel, recipient, ephemeral.observed())
        return ephemeral

    # -- Web API methods (called with the lock held; args already parsed) -----------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"{PERMALINK_HOST}/",
            "team": "Triad Sandbox",
            "user": self._users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(_required(args, "user")))
        if user is None:
            raise EmulatorError("user_not_found")
        return {"user": user.to_api(self.team_id, include_locale=_flag(args, "include_locale"))}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every member in one page (the sandbox's workspaces are small)."""
        return {"members": [u.to_api(self.team_id, include_locale=_flag(args, "include_locale"))
                            for u in self._users.values()], "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": self._existing_channel(str(args["channel"]))}}
        users = [u for u in str(_required(args, "users")).split(",") if u]
        if len(users) != 1:
            raise EmulatorError("invalid_arguments", ["the sandbox supports 1:1 DMs only"])
        if users[0] not in self._users:
            raise EmulatorError("user_not_found")
        return {"channel": {"id": self.dm_channel(users[0])}, "no_op": True, "already_open": True}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel")))
        user = self._dm_users.get(channel)
        if user is not None:
            return {"channel": {"id": channel, "is_im": True, "is_channel": False, "user": user}}
        return {"channel": {"id": channel, "name": self._channels[channel], "is_im": False, "is_channel": True,
                            "is_member": True}}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel")))
        limit = max(1, _int_arg(args, "limit", HISTORY_LIMIT_DEFAULT))
        inclusive = _flag(args, "inclusive")
        oldest = _ts_key(str(args.get("oldest") or "0"))
        latest = _ts_key(str(args["latest"])) if args.get("latest") else None
        found = [
            m for m in reversed(self._messages.values())
            if m.channel == channel and m.thread_ts in (None, m.ts)
            and _in_range(_ts_key(m.ts), oldest, latest, inclusive)
        ]
        with_metadata = _flag(args, "include_all_metadata")
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in found[:limit]],
            "has_more": len(found) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel")))
        parent = self._thread_parent(channel, str(_required(args, "ts")))
        with_metadata = _flag(args, "include_all_metadata")
        thread = [parent] + [self._messages[(channel, ts)] for ts, _ in parent.replies]
        limit = max(1, _int_arg(args, "limit", 1000))
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in thread[:limit]],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(str(_required(args, "channel", error="channel_not_found")))
        text, blocks, attachments = self._content(args)
        message = self._store_message(
            channel,
            author=self.bot_user_id,
            text=text,
            blocks=blocks,
            attachments=attachments,
            metadata=_metadata_arg(args),
            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
        )
        return {"channel": channel, "ts": message.ts, "message": message.to_api(with_metadata=True)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace the given parts; parts not given are kept, as Slack does."""
        channel = self._existing_channel(str(_required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(_required(args, "ts", error="message_not_found")))
        if message.bot_id != self.bot_id:
            raise EmulatorError("cant_update_message")
        merged = {
            "text": args.get("text", message.text),
            "blocks": args.get("blocks", message.blocks),
            "attachments": args.get("attachments", message.attachments),
        }
        message.text, message.blocks, message.attachments = self._content(merged)
        if "metadata" in args:
            message.metadata = _metadata_arg(args)
        message.edited = {"user": self.bot_user_id, "ts": self._next_ts()}
        data = message.to_api(with_metadata=True)
        self._emit("message_updated", channel, message.user, message.observed())
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": data}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(_required(args, "ts", error="message_not_found")))
        if message.bot_id != self.bot_id:
            raise EmulatorError("cant_delete_message")
        self._delete_message(message)
        return {"channel": channel, "ts": message.ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(str(_required(args, "channel", error="channel_not_found")))
        user = str(_required(args, "user", error="user_not_in_channel"))
        if user not in self._users:
            raise EmulatorError("user_not_in_channel")
        return {"message_ts": self._post_ephemeral(channel, user, args).ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(_required(args, "message_ts", error="message_not_found")))
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(_required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(_required(args, "timestamp", error="message_not_found")))
        name = str(_required(args, "name", error="invalid_name")).strip(":")
        users = message.reactions.setdefault(name, [])
        if self.bot_user_id in users:
            raise EmulatorError("already_reacted")
        users.append(self.bot_user_id)
        self._emit("reaction_added", channel, self.bot_user_id, message.observed())
        return {}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open a new modal; any modal the user had open is replaced."""
        payload = self._checked_view(args.get("view"), "modal")
        trigger = self._exchange_trigger(args.get("trigger_id"))
        self._check_external_id(payload, None)
        view = self._new_view(trigger.user, payload, None, None)
        self._modal_stacks[trigger.user] = [view]
        data = self._view_api(view)
        self._emit("view_opened", None, trigger.user, data)
        return {"view": data}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        payload = self._checked_view(args.get("view"), "modal")
        trigger = self._exchange_trigger(args.get("trigger_id"))
        return {"view": self._push_view(trigger.user, payload)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise EmulatorError("invalid_arguments", ["view_id or external_id is required"])
        view = self._find_view(view_id, external_id)
        payload = self._checked_view(args.get("view"), view.payload.get("type", "modal"))
        if args.get("hash") and args["hash"] != view.hash:
            raise EmulatorError("hash_conflict")
        return {"view": self._update_view(view, payload)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(_required(args, "user_id"))
        if user not in self._users:
            raise EmulatorError("user_not_found")
        payload = self._checked_view(args.get("view"), "home")
        current = self._homes.get(user)
        if current is None:
            self._check_external_id(payload, None)
            current = self._homes[user] = self._new_view(user, payload, None, None)
            data = self._view_api(current)
            self._emit("home_published", None, user, data)
            return {"view": data}
        if args.get("hash") and args["hash"] != current.hash:
            raise EmulatorError("hash_conflict")
        return {"view": self._update_view(current, payload)}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(_required(args, "filename"))
        size = _int_arg(args, "length", -1)
        if size < 0:
            raise EmulatorError("invalid_arguments", ["length is required"])
        stored = self._new_file(name, size, self.bot_user_id)
        return {"upload_url": f"{self.origin}/upload/v1/{stored.id}", "file_id": stored.id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Share uploaded files; with a channel, post them there (in a thread if given)."""
        entries = _required(args, "files")
        if not isinstance(entries, list) or not entries:
            raise EmulatorError("invalid_arguments", ["files must be a non-empty JSON array"])
        uploaded = [self._uploaded_file(entry) for entry in entries]
        channels = [str(args["channel_id"])] if args.get("channel_id") else []
        channels += [c for c in str(args.get("channels") or "").split(",") if c]
        channels = [self._existing_channel(c) for c in channels]
        for channel in channels:
            for stored in uploaded:
                stored.channels.append(channel)
            self._store_message(
                channel,
                author=self.bot_user_id,
                text=str(args.get("initial_comment") or ""),
                files=[f.to_api() for f in uploaded],
                thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
            )
        return {"files": [f.to_api() for f in uploaded]}

    def _uploaded_file(self, entry: Any) -> _File:
        stored = self._files.get(cast(str, entry.get("id"))) if isinstance(entry, dict) else None
        if stored is None or stored.content is None:
            raise EmulatorError("file_not_found", [f"{entry!r} was not uploaded"])
        if entry.get("title"):
            stored.title = str(entry["title"])
        return stored

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(_required(args, "file", error="file_not_found")))
        if stored is None:
            raise EmulatorError("file_not_found")
        return {"file": stored.to_api(), "comments": [], "response_metadata": {"next_cursor": ""}}


# -- module helpers -----------------------------------------------------------------------------


def interactive_elements(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(block, element)`` for every interactive element of a list of blocks.

    Interactive elements are a section's accessory, an input's element and the elements of an
    actions block; context and rich_text blocks hold none.
    """
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or block.get("type") in ("context", "rich_text"):
            continue
        candidates = [block.get("accessory"), block.get("element")]
        if isinstance(block.get("elements"), list):
            candidates += block["elements"]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") not in NON_INTERACTIVE_TYPES:
                yield block, element


def _with_generated_ids(blocks: Any) -> Any:
    """A copy of ``blocks`` where missing block_ids and action_ids are generated, as Slack does."""
    blocks = copy.deepcopy(blocks)
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict):
            block.setdefault("block_id", _random_id())
    for _, element in interactive_elements(blocks):
        element.setdefault("action_id", _random_id())
    return blocks


def _random_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))


def _request_args(request: _Request) -> dict[str, Any]:
    """The call's arguments from query string and body (JSON, form or multipart)."""
    args: dict[str, Any] = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if request.body and media_type == "application/json":
        try:
            body = json.loads(request.body)
        except ValueError:
            raise EmulatorError("invalid_json") from None
        if not isinstance(body, dict):
            raise EmulatorError("invalid_json")
        args.update(body)
    elif request.body and media_type == "multipart/form-data":
        args.update(_multipart_fields(content_type, request.body))
    elif request.body:
        try:
            args.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise EmulatorError("invalid_form_data") from None
    for key in JSON_ARGS:
        if isinstance(args.get(key), str) and args[key]:
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                raise EmulatorError("invalid_arguments", [f"{key} is not valid JSON"]) from None
    return args


def _multipart_fields(content_type: str, body: bytes) -> dict[str, str | bytes]:
    """Form fields of a multipart body; file parts stay bytes."""
    document = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(document)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = cast(bytes, part.get_payload(decode=True) or b"")
        if isinstance(name, str):
            fields[name] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


def _uploaded_bytes(request: _Request) -> bytes:
    """The file content of an upload: the raw body, or the file part of a multipart body."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() == "multipart/form-data":
        parts = [v for v in _multipart_fields(content_type, request.body).values() if isinstance(v, bytes)]
        return parts[0] if parts else b""
    return request.body


def _bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _required(args: Mapping[str, Any], name: str, *, error: str = "invalid_arguments") -> Any:
    value = args.get(name)
    if value is None or value == "":
        raise EmulatorError(error, [f"missing required field: {name}"])
    return value


def _flag(args: Mapping[str, Any], name: str) -> bool:
    """A boolean argument as JSON (true) or as slack_sdk's forms send it ("1", "true")."""
    value = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _int_arg(args: Mapping[str, Any], name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EmulatorError("invalid_arguments", [f"{name} must be an integer"]) from None


def _metadata_arg(args: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata = args.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str) \
            or not isinstance(metadata.get("event_payload"), dict):
        raise EmulatorError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _ts_key(ts: str) -> tuple[int, int]:
    """A Slack timestamp ("1700000000.000100") as a sortable pair, without float rounding."""
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds or 0), int((fraction + "000000")[:6])
    except ValueError:
        raise EmulatorError("invalid_ts_oldest") from None


def _in_range(key: tuple[int, int], oldest: tuple[int, int], latest: tuple[int, int] | None, inclusive: bool) -> bool:
    if inclusive:
        return key >= oldest and (latest is None or key <= latest)
    return key > oldest and (latest is None or key < latest)
