"""response_url: what Bolt's ``respond()`` posts back to an interaction, and what Slack does with it
(replace or delete the original, post in the channel, or show an ephemeral)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sandbox.emulator.chat import Chat
from sandbox.emulator.faults import Faults
from sandbox.emulator.records import EmulatorError, Ephemeral, ResponseUrl
from sandbox.emulator.wire import PROCESSED_THEN_FAILED, Reply, Request, flag

# The pseudo-method under which response_url requests appear in ``calls`` and can be given to ``fail(methods=...)``.
RESPONSE_URL_METHOD = "response_url"
RESPONSE_URL_MAX_USES = 5


class ResponseUrls(Chat, Faults):
    """The response_urls issued with interactions, each good for RESPONSE_URL_MAX_USES posts."""

    def _clear_activity(self) -> None:
        super()._clear_activity()
        self._response_urls: dict[str, ResponseUrl] = {}

    def new_response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        """A response_url for an interaction by ``user_id`` in ``channel_id``.

        ``message_ts`` is the message the interaction came from (a stored message or an
        ephemeral), which ``replace_original`` / ``delete_original`` act on.
        """
        with self._changing():
            channel = self._postable_channel(channel_id)
            url = f"{self.origin}/actions/{self.team_of(channel)}/{next(self._ids)}/{secrets.token_hex(12)}"
            self._response_urls[urlsplit(url).path] = ResponseUrl(channel, user_id, message_ts)
            return url

    def _route(self, path: str, request: Request) -> Reply | None:
        if path.startswith("/actions/"):
            return self._response_url_request(path, request)
        return super()._route(path, request)

    def _response_url_request(self, path: str, request: Request) -> Reply:
        """A response_url POST, as Bolt's ``respond()`` sends it."""
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._record(RESPONSE_URL_METHOD, {}, ok=False, error="invalid_payload")
            return Reply.json(400, {"ok": False, "error": "invalid_payload"})
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
        return PROCESSED_THEN_FAILED if fault and fault.mode != "slow" else Reply.json(status, result)

    def _respond(self, path: str, payload: dict[str, Any]) -> None:
        """Apply a response_url POST: delete/replace the original, or post a new message."""
        hook = self._response_urls.get(path)
        if hook is None:
            raise EmulatorError("no_service")
        if hook.uses >= RESPONSE_URL_MAX_USES:
            raise EmulatorError("used_url")
        hook.uses += 1
        if flag(payload, "delete_original") and hook.message_ts:
            self._delete_original(hook)
        elif flag(payload, "replace_original") and hook.message_ts:
            self._replace_original(hook, payload)
        elif payload.get("response_type") == "in_channel":
            text, blocks, attachments = self._content(payload)
            self._store_message(hook.channel, author=self.bot_user_id, text=text, blocks=blocks,
                                attachments=attachments, thread_ts=payload.get("thread_ts"))
        else:
            self._post_ephemeral(hook.channel, hook.user, payload)

    def _original_ephemeral(self, hook: ResponseUrl) -> Ephemeral | None:
        return next((e for e in self._ephemerals if e.ts == hook.message_ts and e.recipient == hook.user), None)

    def _delete_original(self, hook: ResponseUrl) -> None:
        ephemeral = self._original_ephemeral(hook)
        if ephemeral is not None:
            self._ephemerals.remove(ephemeral)
            self._emit("ephemeral_deleted", ephemeral.channel, ephemeral.recipient, ephemeral.observed())
            return
        self._delete_message(self._find_message(hook.channel, str(hook.message_ts)))

    def _replace_original(self, hook: ResponseUrl, payload: Mapping[str, Any]) -> None:
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
