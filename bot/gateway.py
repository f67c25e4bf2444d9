"""The one door to Slack's Web API.

Interactive calls (opening a modal within the 3 s of a trigger) retry rate limits, server and
connection errors inside slack_sdk. Outbox deliveries retry only rate limits there: any other
failure goes back to the outbox, which checks whether the message already arrived before it
sends again, so a connection reset never posts twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

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
    def __init__(self, reason: str, *, permanent: bool, ambiguous: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.ambiguous = reason, permanent, ambiguous


class SlackGateway:
    def __init__(self, token: str, api_url: str | None = None, *, timeout: int = 10) -> None:
        base_url = api_url or SLACK_API
        self.client = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ])
        self.delivery_client = WebClient(token=token, base_url=base_url, timeout=timeout,
                                         retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    # --- surfaces opened in answer to a person --------------------------------------------------
    def open_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.client.views_open(trigger_id=trigger_id, view=view)["view"]

    def push_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.client.views_push(trigger_id=trigger_id, view=view)["view"]

    def update_view(self, view_id: str, view: dict[str, Any], view_hash: str | None = None) -> dict[str, Any]:
        return self.client.views_update(view_id=view_id, view=view, hash=view_hash)["view"]

    def user_profile(self, user_id: str, *, timeout: float = 2.0) -> Profile | None:
        """Name, locale and time zone, or None if Slack cannot tell us quickly."""
        client = WebClient(token=self.client.token, base_url=self.client.base_url, timeout=int(max(1, timeout)))
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
        client = WebClient(token=self.client.token, base_url=self.client.base_url, timeout=int(max(1, timeout)))
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
    def deliver(self, operation: str, *, key: str, channel: str | None, user: str | None,
                payload: dict[str, Any], thread_ts: str | None = None, target: tuple[str, str] | None = None
                ) -> tuple[str | None, str | None]:
        """Send one outbox message; returns (channel, ts) of what Slack stored."""
        c = self.delivery_client
        try:
            if operation == "post":
                response = c.chat_postMessage(channel=cast(str, channel), thread_ts=thread_ts, unfurl_links=False,
                                              unfurl_media=False, metadata={"event_type": OUTBOX_EVENT,
                                                                            "event_payload": {"key": key}},
                                              **payload)
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
            raise _classify(exc) from exc
        except DeliveryError:
            raise
        except Exception as exc:  # connection reset, timeout: the message may or may not be there
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, ambiguous=True) from exc

    def find_delivered(self, channel: str, key: str, thread_ts: str | None) -> tuple[str, str] | None:
        """After an ambiguous failure: did our message arrive anyway? Looks for its metadata key."""
        c = self.delivery_client
        if channel.startswith(("U", "W")):  # a DM addressed by user id lives in the IM channel
            channel = c.conversations_open(users=channel)["channel"]["id"]
        if thread_ts:
            messages = c.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                               include_all_metadata=True)["messages"]
        else:
            messages = c.conversations_history(channel=channel, limit=100, include_all_metadata=True)["messages"]
        for message in messages:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == OUTBOX_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return channel, message["ts"]
        return None


def _is_workspace_admin(user: dict[str, Any]) -> bool:
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def _classify(exc: SlackApiError) -> DeliveryError:
    status = getattr(exc.response, "status_code", 200)
    error = (exc.response.get("error") if hasattr(exc.response, "get") else None) or f"http_{status}"
    if status == 429 or error == "ratelimited":
        return DeliveryError(error, permanent=False, ambiguous=False)
    if status >= 500:
        return DeliveryError(error, permanent=False, ambiguous=True)
    return DeliveryError(error, permanent=error in PERMANENT_ERRORS, ambiguous=False)
