"""The one door to Slack's Web API.

Interactive calls (opening a modal within the 3 s of a trigger) retry rate limits, server and
connection errors inside slack_sdk. Outbox deliveries retry nothing there, and never sleep: every
failure goes back to the outbox, which schedules a 429 at its Retry-After for that channel or
method only, and checks whether a message already arrived before it sends again, so a connection
reset never posts twice.
"""
from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from storage.workspaces import being_served

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com/api/"
OUTBOX_EVENT = "triad_outbox"

# Errors that no retry can mend: the outbox gives up on these and logs them loudly.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "invalid_blocks_format",
    "msg_too_long", "no_text", "user_not_found", "cant_update_message", "message_not_found",
    "invalid_auth", "account_inactive", "token_revoked", "not_authed", "missing_scope",
    "invalid_arguments", "user_not_in_channel", "restricted_action", "too_many_attachments",
    "cannot_dm_bot", "edit_window_closed", "invalid_metadata_format",
})


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    real_name: str
    locale: str | None
    tz: str | None
    is_admin: bool = False  # a workspace admin or owner


class DeliveryError(Exception):
    """A delivery that did not go through. ``ambiguous``: it may have reached Slack all the same;
    ``retry_after``: Slack rate limited it and said when to come back (seconds)."""

    def __init__(self, reason: str, *, permanent: bool, ambiguous: bool, retry_after: float | None = None,
                 method: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.ambiguous = reason, permanent, ambiguous
        self.retry_after, self.method = retry_after, method


DELIVERY_METHODS = {"post": "chat.postMessage", "update": "chat.update", "ephemeral": "chat.postEphemeral",
                    "home": "views.publish", "upload": "files.completeUploadExternal"}
# An upload's other calls, paced with it: the URL to send the bytes to first (the share itself posts in the channel).
UPLOAD_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


@dataclass(frozen=True)
class FileUpload:
    """A file made for an outbox upload, on disk for the length of the delivery. ``comment``: the message that
    shares it; it carries the upload's reference, by which a repeated attempt finds it already shared."""

    path: Path
    filename: str
    title: str
    comment: str


TokenSource = Callable[[int | None], str | None]  # a workspace's bot token, None where it has none


class SlackGateway:
    """Calls Slack as the bot of the workspace being served (a request's, a job's: storage/workspaces.py);
    outbox deliveries as the bot of the workspace that owes them. ``token``: one bot token for every
    workspace, or where each workspace's is found (bot/installs.py)."""

    def __init__(self, token: str | TokenSource, api_url: str | None = None, *, timeout: int = 10) -> None:
        self.base_url, self.timeout = api_url or SLACK_API, timeout
        self._token_for: TokenSource = (lambda _workspace: token) if isinstance(token, str) else token
        self._clients: dict[str | None, tuple[WebClient, WebClient]] = {}  # token -> interactive, delivery
        self._dm_channels: dict[tuple[int | None, str], str] = {}  # (workspace, user id) -> their DM's channel id
        self._lock = threading.Lock()

    def _clients_of(self, token: str | None) -> tuple[WebClient, WebClient]:
        clients = self._clients.get(token)
        if clients is None:
            clients = (WebClient(token=token, base_url=self.base_url, timeout=self.timeout, retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=1),
                RateLimitErrorRetryHandler(max_retry_count=2),
                ServerErrorRetryHandler(max_retry_count=1),
            ]), WebClient(token=token, base_url=self.base_url, timeout=self.timeout, retry_handlers=[]))
            with self._lock:
                self._clients[token] = clients
        return clients

    def _delivering_as(self, workspace: int | None) -> WebClient:
        token = self._token_for(workspace)
        if token is None:  # not installed (yet, or any more): held, tried again later
            raise DeliveryError("not_installed", permanent=False, ambiguous=False)
        return self._clients_of(token)[1]

    @property
    def client(self) -> WebClient:
        """The client of the workspace being served, retrying what a person's request may wait for."""
        return self._clients_of(self._token_for(being_served()))[0]

    # --- surfaces opened in answer to a person --------------------------------------------------
    def open_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.client.views_open(trigger_id=trigger_id, view=view)["view"]

    def push_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.client.views_push(trigger_id=trigger_id, view=view)["view"]

    def update_view(self, view_id: str, view: dict[str, Any], view_hash: str | None = None) -> dict[str, Any]:
        return self.client.views_update(view_id=view_id, view=view, hash=view_hash)["view"]

    def user_profile(self, user_id: str, *, timeout: float = 2.0) -> Profile | None:
        """Name, locale and time zone, or None if Slack cannot tell us quickly."""
        client = WebClient(token=self.client.token, base_url=self.base_url, timeout=int(max(1, timeout)))
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as exc:  # never block a person's request on a profile lookup
            log.warning("users.info %s failed: %s", user_id, exc)
            return None
        profile = user.get("profile") or {}
        return Profile(user_id=user_id, name=user.get("name") or user_id,
                       real_name=user.get("real_name") or profile.get("real_name") or user.get("name") or user_id,
                       locale=user.get("locale"), tz=user.get("tz"), is_admin=_is_workspace_admin(user))

    def workspace_admins(self, *, timeout: float = 5.0) -> list[Profile] | None:
        """The workspace's admins and owners (users.list), or None if Slack cannot tell us now."""
        client = WebClient(token=self.client.token, base_url=self.base_url, timeout=int(max(1, timeout)))
        admins: list[Profile] = []
        try:
            for page in client.users_list(limit=200):
                for user in page.get("members") or []:
                    if _is_workspace_admin(user) and not user.get("deleted") and not user.get("is_bot"):
                        profile = user.get("profile") or {}
                        admins.append(Profile(user_id=user["id"], name=user.get("name") or user["id"],
                                              real_name=user.get("real_name") or profile.get("real_name")
                                              or user.get("name") or user["id"],
                                              locale=user.get("locale"), tz=user.get("tz"), is_admin=True))
        except Exception as exc:
            log.warning("users.list failed: %s", exc)
            return None
        return admins

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError:
            return None

    # --- outbox deliveries ------------------------------------------------------------------------
    def deliver(self, operation: str, *, workspace: int | None, key: str, channel: str | None, user: str | None,
                payload: dict[str, Any], thread_ts: str | None = None, target: tuple[str, str] | None = None
                ) -> tuple[str | None, str | None]:
        """Send one outbox message as the workspace's bot; returns (channel, ts) of what Slack stored."""
        c = self._delivering_as(workspace)
        try:
            if operation == "post":
                response = c.chat_postMessage(channel=cast(str, channel), thread_ts=thread_ts, unfurl_links=False,
                                              unfurl_media=False, metadata={"event_type": OUTBOX_EVENT,
                                                                            "event_payload": {"key": key}},
                                              **payload)
                if channel and channel.startswith(("U", "W")):
                    self._dm_channels[(workspace, channel)] = response["channel"]
                return response["channel"], response["ts"]
            if operation == "update":
                assert target is not None
                response = c.chat_update(channel=target[0], ts=target[1], **payload)
                return response["channel"], response["ts"]
            if operation == "ephemeral":
                response = c.chat_postEphemeral(channel=cast(str, channel), user=cast(str, user), thread_ts=thread_ts,
                                                **payload)
                return channel, response.get("message_ts")
            if operation == "home":
                c.views_publish(user_id=cast(str, user), view=payload["view"])
                return None, None
            raise DeliveryError(f"unknown operation {operation}", permanent=True, ambiguous=False)
        except SlackApiError as exc:
            raise _classify(exc, DELIVERY_METHODS.get(operation)) from exc
        except DeliveryError:
            raise
        except Exception as exc:  # connection reset, timeout: the message may or may not be there
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, ambiguous=True) from exc

    def upload(self, workspace: int | None, channel: str, file: FileUpload) -> tuple[str, str | None]:
        """Slack's external upload as the workspace's bot: ask for an upload URL, send the bytes there, then complete
        the upload, sharing the file in ``channel`` (a user id: their DM) with its comment. Returns (channel, file id).

        Nothing is shared before the last call: a failure before it leaves an unshared upload Slack discards."""
        c = self._delivering_as(workspace)
        method = "conversations.open"
        try:
            channel = self._conversation(c, workspace, channel)
            method = "files.getUploadURLExternal"
            size = file.path.stat().st_size
            ticket = c.files_getUploadURLExternal(filename=file.filename, length=size)
            method = "upload_url"
            self._send_bytes(str(ticket["upload_url"]), file.path, size)
            method = "files.completeUploadExternal"
            c.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": file.title}], channel_id=channel,
                                           initial_comment=file.comment)
            return channel, str(ticket["file_id"])
        except SlackApiError as exc:
            raise _classify(exc, method) from exc
        except DeliveryError:
            raise
        except Exception as exc:  # connection reset, timeout: the share may or may not be there
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False,
                                ambiguous=method == "files.completeUploadExternal", method=method) from exc

    def _send_bytes(self, url: str, path: Path, size: int) -> None:
        """POST the file's bytes to the URL Slack gave, streamed from disk."""
        with path.open("rb") as body:
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/octet-stream", "Content-Length": str(size)})
            try:
                with urllib.request.urlopen(request, timeout=max(self.timeout, 60)) as answer:
                    answer.read()
            except urllib.error.HTTPError as exc:
                raise DeliveryError(f"upload_url: HTTP {exc.code}", permanent=False, ambiguous=False,
                                    method="upload_url") from exc

    def upload_methods(self, workspace: int | None, channel: str, *, looking: bool) -> list[str]:
        """The Web API methods ``upload`` (and, ``looking``, ``find_upload`` before it) will call."""
        opening = (["conversations.open"] if channel.startswith(("U", "W"))
                   and (workspace, channel) not in self._dm_channels else [])
        return [*opening, *(["conversations.history"] if looking else []), *UPLOAD_METHODS]

    def find_upload(self, workspace: int | None, channel: str, reference: str) -> tuple[str, str | None] | None:
        """After an upload that may have been shared: the message sharing a file whose comment has ``reference``."""
        c = self._delivering_as(workspace)
        method = "conversations.open"
        try:
            channel = self._conversation(c, workspace, channel)
            method = "conversations.history"
            messages = c.conversations_history(channel=channel, limit=100)["messages"]
        except SlackApiError as exc:
            raise _classify(exc, method, looking=True) from exc
        except Exception as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, ambiguous=True, method=method) from exc
        for message in messages:
            if message.get("files") and reference in (message.get("text") or ""):
                return channel, str((message["files"][0] or {}).get("id") or "") or None
        return None

    def _conversation(self, c: WebClient, workspace: int | None, channel: str) -> str:
        """A channel id for ``channel``: a user id means the bot's DM with them (opened once, remembered)."""
        if not channel.startswith(("U", "W")):
            return channel
        if (workspace, channel) not in self._dm_channels:
            self._dm_channels[(workspace, channel)] = c.conversations_open(users=channel)["channel"]["id"]
        return self._dm_channels[(workspace, channel)]

    def lookup_methods(self, workspace: int | None, channel: str, thread_ts: str | None) -> list[str]:
        """The Web API methods ``find_delivered`` will call, so the outbox can pace them too."""
        opening = (["conversations.open"] if channel.startswith(("U", "W"))
                   and (workspace, channel) not in self._dm_channels else [])
        return [*opening, "conversations.replies" if thread_ts else "conversations.history"]

    def find_delivered(self, workspace: int | None, channel: str, key: str,
                       thread_ts: str | None) -> tuple[str, str] | None:
        """After an attempt that may have reached Slack: did our message arrive? Looks for its metadata key."""
        c = self._delivering_as(workspace)
        method = "conversations.open"
        try:
            channel = self._conversation(c, workspace, channel)  # a DM addressed by user id lives in the IM channel
            if thread_ts:
                method = "conversations.replies"
                messages = c.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                                   include_all_metadata=True)["messages"]
            else:
                method = "conversations.history"
                messages = c.conversations_history(channel=channel, limit=100, include_all_metadata=True)["messages"]
        except SlackApiError as exc:
            raise _classify(exc, method, looking=True) from exc
        except Exception as exc:  # the lookup itself failed: Slack is still unreachable
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, ambiguous=True, method=method) from exc
        for message in messages:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == OUTBOX_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return channel, message["ts"]
        return None


def _is_workspace_admin(user: dict[str, Any]) -> bool:
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def _classify(exc: SlackApiError, method: str | None, *, looking: bool = False) -> DeliveryError:
    status = getattr(exc.response, "status_code", 200)
    error = (exc.response.get("error") if hasattr(exc.response, "get") else None) or f"http_{status}"
    if status == 429 or error == "ratelimited":
        return DeliveryError("ratelimited", permanent=False, ambiguous=looking, method=method,
                             retry_after=_retry_after(getattr(exc.response, "headers", None) or {}))
    if status >= 500:
        return DeliveryError(error, permanent=False, ambiguous=True, method=method)
    if looking and error == "thread_not_found":  # the parent is gone: so is any reply we may have posted
        return DeliveryError(error, permanent=True, ambiguous=False, method=method)
    return DeliveryError(error, permanent=error in PERMANENT_ERRORS, ambiguous=looking, method=method)


def _retry_after(headers: dict[str, Any]) -> float:
    """Slack's Retry-After, in seconds."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0
