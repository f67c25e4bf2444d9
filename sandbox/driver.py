"""Drive the app's ``/slack/events`` endpoint exactly as Slack does.

``SlackDriver`` plays the Slack side of the conversation for tests and the sandbox: it builds
the payloads Slack sends for slash commands, button presses, modal submissions and closes,
shortcuts and Events API callbacks, signs them with the app's signing secret, POSTs them, and
then applies the app's answer to the ``SlackEmulator`` as Slack would (a submission answered
with ``response_action: push`` pushes a view, an empty answer closes the view...).

trigger_ids and response_urls in the payloads are real ones issued by the emulator, so the app
can use them against the emulated Web API within Slack's limits. Only urllib is used, with
proxies disabled: the app is on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.emulator import SlackEmulator, interactive_elements

__all__ = ["Response", "SentRequest", "SlackDriver"]

VERIFICATION_TOKEN = "sandbox-verification-token"  # the deprecated token Slack still sends
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_UNSET: Any = object()  # an input the test did not fill in


@dataclass(frozen=True)
class SentRequest:
    """A request as it went on the wire; ``resend`` replays it."""

    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Response:
    """The app's answer; ``json`` is the parsed body when it is a JSON object."""

    status: int
    body: str
    json: dict[str, Any] | None
    headers: dict[str, str]
    request: SentRequest = field(repr=False)
    elapsed: float = field(default=0.0, repr=False)  # seconds; Slack gives up on interactions after 3


_Kind = Literal["text", "option", "options", "plain", "list", "int", "rich_text"]


@dataclass(frozen=True)
class _ValueSpec:
    """How Slack reports one input element's value in ``view.state`` and in actions."""

    key: str  # the key in the payload
    initial: str | None  # the element key holding a pre-filled value
    empty: Any  # what Slack sends when nothing is entered
    kind: _Kind

_TEXT: tuple[str, str, Any, _Kind] = ("value", "initial_value", None, "text")
_OPTION: tuple[str, str, Any, _Kind] = ("selected_option", "initial_option", None, "option")
_OPTIONS: tuple[str, str, Any, _Kind] = ("selected_options", "initial_options", [], "options")
_VALUE_SPECS: dict[str, _ValueSpec] = {
    "plain_text_input": _ValueSpec(*_TEXT),
    "number_input": _ValueSpec(*_TEXT),
    "email_text_input": _ValueSpec(*_TEXT),
    "url_text_input": _ValueSpec(*_TEXT),
    "static_select": _ValueSpec(*_OPTION),
    "external_select": _ValueSpec(*_OPTION),
    "radio_buttons": _ValueSpec(*_OPTION),
    "overflow": _ValueSpec("selected_option", None, None, "option"),
    "checkboxes": _ValueSpec(*_OPTIONS),
    "multi_static_select": _ValueSpec(*_OPTIONS),
    "multi_external_select": _ValueSpec(*_OPTIONS),
    "datepicker": _ValueSpec("selected_date", "initial_date", None, "plain"),
    "timepicker": _ValueSpec("selected_time", "initial_time", None, "plain"),
    "datetimepicker": _ValueSpec("selected_date_time", "initial_date_time", None, "int"),
    "users_select": _ValueSpec("selected_user", "initial_user", None, "plain"),
    "multi_users_select": _ValueSpec("selected_users", "initial_users", [], "list"),
    "conversations_select": _ValueSpec("selected_conversation", "initial_conversation", None, "plain"),
    "multi_conversations_select": _ValueSpec("selected_conversations", "initial_conversations", [], "list"),
    "channels_select": _ValueSpec("selected_channel", "initial_channel", None, "plain"),
    "multi_channels_select": _ValueSpec("selected_channels", "initial_channels", [], "list"),
    "file_input": _ValueSpec("files", None, [], "list"),
    "rich_text_input": _ValueSpec("rich_text_value", "initial_value", None, "rich_text"),
}

# Keys the emulator adds to messages for observation; Slack's payloads do not carry them.
_OBSERVATION_KEYS = ("channel", "is_ephemeral", "recipient")


class SlackDriver:
    """Sends signed Slack requests to the app and mirrors their effect in the emulator."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str | None = None,
        timeout: float = 10,
        settle: Callable[[], Any] | None = None,
    ) -> None:
        """``settle``, when given, is called after each answer: the harness waits there for the
        app's work after its ack, so whoever looks next sees its effect. Requests come from the acting
        member's team in the emulator, or from ``team_id`` for every request when it is given."""
        self.app_url = app_url
        self.settle = settle
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.team_id = team_id  # None: each request from the team of the member who acts
        self.timeout = timeout
        self.last_request: SentRequest | None = None
        self.on_send: list[Callable[[SentRequest], Any]] = []  # called with each request before it goes out
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- signing and transport --------------------------------------------------------------

    def sign(self, body: bytes, timestamp: str) -> str:
        """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        return "v0=" + hmac.new(self.signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()

    def send_raw(
        self,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> Response:
        """POST ``body`` signed (or with the given forged ``signature`` / stale ``timestamp``)."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        sent = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else self.sign(body, stamp),
        }
        sent.update(headers or {})
        return self._post(SentRequest(self.app_url, body, sent))

    def resend(
        self, response_or_request: Response | SentRequest, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> Response:
        """Replay a request byte for byte with Slack's retry headers, as Slack retries events."""
        request = response_or_request.request if isinstance(response_or_request, Response) else response_or_request
        headers = {**request.headers, "X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post(SentRequest(request.url, request.body, headers))

    def _post(self, request: SentRequest) -> Response:
        self.last_request = request
        for observer in self.on_send:
            observer(request)
        http_request = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
        started = time.monotonic()
        try:
            with self._opener.open(http_request, timeout=self.timeout) as answer:
                status, raw, headers = answer.status, answer.read(), dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(), dict(error.headers.items())
        elapsed = time.monotonic() - started
        if self.settle is not None:
            self.settle()
        body = raw.decode("utf-8", "replace")
        return Response(status, body, _json_object(body), headers, request, elapsed)

    def _send_form(self, fields: Mapping[str, str]) -> Response:
        return self.send_raw(urllib.parse.urlencode(fields).encode("utf-8"), FORM)

    def _send_interactive(self, payload: Mapping[str, Any]) -> Response:
        """Interactivity payloads travel as a form with one field, ``payload``, holding JSON."""
        return self._send_form({"payload": json.dumps(payload)})

    def _send_json(self, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
        return self.send_raw(json.dumps(payload).encode("utf-8"), JSON, headers)

    # -- slash commands and shortcuts -----------------------------------------------------

    def slash(self, user_id: str, command: str, text: str = "", channel_id: str | None = None) -> Response:
        """A slash command typed by ``user_id`` (default: in their DM with the app)."""
        channel = channel_id or self.emulator.dm_channel(user_id)
        return self._send_form(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": self._team(user_id),
                "team_domain": self._domain(user_id),
                "channel_id": channel,
                "channel_name": self.emulator.channel_name(channel) or "unknown",
                "user_id": user_id,
                "user_name": self._user(user_id)["name"],
                "command": command,
                "text": text,
                "api_app_id": self.emulator.app_id,
                "is_enterprise_install": "false",
                "response_url": self.emulator.new_response_url(channel, user_id),
                "trigger_id": self.emulator.issue_trigger(user_id),
            }
        )

    def shortcut(self, user_id: str, callback_id: str) -> Response:
        """A global shortcut."""
        return self._send_interactive(
            {
                **self._interaction("shortcut", user_id),
                "callback_id": callback_id,
                "trigger_id": self.emulator.issue_trigger(user_id),
                "action_ts": _action_ts(),
            }
        )

    def message_shortcut(
        self, user_id: str, callback_id: str, message: Mapping[str, Any], channel_id: str | None = None
    ) -> Response:
        """A message shortcut on ``message`` (a message dict from the emulator)."""
        channel = channel_id or str(message["channel"])
        return self._send_interactive(
            {
                **self._interaction("message_action", user_id),
                "callback_id": callback_id,
                "trigger_id": self.emulator.issue_trigger(user_id),
                "action_ts": _action_ts(),
                "channel": {"id": channel, "name": self.emulator.channel_name(channel)},
                "message_ts": message["ts"],
                "message": _as_sent(message),
                "response_url": self.emulator.new_response_url(channel, user_id, message_ts=str(message["ts"])),
            }
        )

    # -- block actions --------------------------------------------------------------------

    def press(
        self,
        user_id: str,
        action_id: str,
        value: Any = None,
        *,
        message: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        block_id: str | None = None,
        selected_option: Any = None,
        as_seen: bool = False,
    ) -> Response:
        """Use the element ``action_id`` of a message or a view (a ``block_actions`` payload).

        ``value`` overrides a button's value or is the input for other elements (as in
        ``submit``); ``selected_option`` is an option value or object for selects and overflows.
        The latest version of the message or view is sent, as the user sees it; with ``as_seen``
        the copy given is sent instead, like a client that has not caught up with an update yet.
        """
        if message is not None and view is None:
            channel = channel_id or str(message.get("channel") or "")
            if not channel:
                raise ValueError("press() needs channel_id= for a message without a channel")
            current = (None if as_seen else self.emulator.message(channel, str(message["ts"]))) or dict(message)
            target = self._message_target(user_id, current, channel)
        elif view is not None and message is None:
            current = (None if as_seen else self.emulator.view(str(view["id"]))) or dict(view)
            target = {"container": {"type": "view", "view_id": current["id"]}, "view": current}
        else:
            raise ValueError("press() needs exactly one of message= or view=")
        block, element = _find_element(current.get("blocks") or [], action_id, block_id)
        action = {"action_id": action_id, "block_id": block["block_id"]}
        action.update(_action_value(element, value, selected_option))
        return self._send_interactive(
            {
                **self._interaction("block_actions", user_id),
                "trigger_id": self.emulator.issue_trigger(user_id),
                **target,
                "actions": [{**action, "action_ts": _action_ts()}],
            }
        )

    def press_button(
        self,
        user_id: str,
        message_or_view: Mapping[str, Any],
        action_id: str | None = None,
        text: str | None = None,
        value: str | None = None,
        *,
        as_seen: bool = False,
    ) -> Response:
        """Press the first button of a message or view matching action_id, visible text and value."""
        blocks = message_or_view.get("blocks") or []
        for block, element in interactive_elements(blocks):
            if element.get("type") == "button" and _button_matches(element, action_id, text, value):
                where: dict[str, Any] = ({"view": message_or_view} if _is_view(message_or_view)
                                         else {"message": message_or_view})
                return self.press(
                    user_id, element["action_id"], element.get("value"), block_id=block["block_id"],
                    as_seen=as_seen, **where
                )
        available = ", ".join(
            f"{e.get('action_id')} {(e.get('text') or {}).get('text')!r} value={e.get('value')!r}"
            for _, e in interactive_elements(blocks)
            if e.get("type") == "button"
        )
        raise LookupError(
            f"no button with action_id={action_id!r} text={text!r} value={value!r}; buttons: {available or 'none'}"
        )

    def _message_target(self, user_id: str, message: Mapping[str, Any], channel: str) -> dict[str, Any]:
        """Container, channel, message and response_url of an action on a message."""
        is_ephemeral = bool(message.get("is_ephemeral"))
        target: dict[str, Any] = {
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            },
            "channel": {"id": channel, "name": self.emulator.channel_name(channel)},
            "response_url": self.emulator.new_response_url(channel, user_id, message_ts=str(message["ts"])),
        }
        if not is_ephemeral:  # Slack does not send ephemeral messages back
            target["message"] = _as_sent(message)
        return target

    # -- modals ---------------------------------------------------------------------------

    def submit(
        self,
        user_id: str,
        values: Mapping[str, Any],
        view: Mapping[str, Any] | None = None,
        *,
        enforce_required: bool = True,
    ) -> Response:
        """Submit the user's top modal (or ``view``) with ``values`` keyed by block_id or action_id.

        Inputs not given are sent as Slack sends untouched inputs: their initial value, or
        empty. Slack does not let a user submit an empty required input, so that raises
        ValueError unless ``enforce_required=False``. The app's answer is then applied to the
        emulator's modal stack; ``response_action: errors`` leaves the modal open and the
        errors are in ``Response.json["errors"]``.
        """
        current = dict(view) if view is not None else self.emulator.open_modal(user_id)
        if current is None:
            raise LookupError(f"{user_id} has no modal open")
        state = _view_state(current.get("blocks") or [], values, enforce_required)
        response = self._send_interactive(
            {
                **self._interaction("view_submission", user_id),
                "trigger_id": self.emulator.issue_trigger(user_id),
                "view": {**current, "state": {"values": state}},
                "response_urls": [],
            }
        )
        self._apply_submission_answer(user_id, current, response)
        return response

    def _apply_submission_answer(self, user_id: str, view: Mapping[str, Any], response: Response) -> None:
        """Do to the modal stack what Slack does with the app's answer to a submission."""
        if response.status != 200 or (response.body.strip() and response.json is None):
            return  # Slack shows a connection error in the modal, which stays open
        answer = response.json or {}
        action = answer.get("response_action")
        if action is None:
            self.emulator.pop_modal(user_id)  # a pushed view returns to the one below it
        elif action == "clear":
            self.emulator.close_modal(user_id)
        elif action == "update":
            self.emulator.replace_top_modal(user_id, answer["view"])
        elif action == "push":
            self.emulator.push_modal(user_id, answer["view"])
        elif action == "errors":
            _check_error_targets(view, answer.get("errors") or {})
        else:
            raise ValueError(f"the app answered an unknown response_action {action!r}")

    def close(self, user_id: str, notify: bool = True) -> Response | None:
        """The user closes the top modal view (X or Cancel).

        A pushed view goes back to the previous one, unless ``clear_on_close`` closes them
        all. The app gets ``view_closed`` only if the view asked for it (``notify_on_close``)
        and ``notify`` is true; otherwise None is returned.
        """
        view = self.emulator.open_modal(user_id)
        if view is None:
            raise LookupError(f"{user_id} has no modal open")
        cleared = bool(view.get("clear_on_close"))
        if cleared:
            self.emulator.close_modal(user_id)
        else:
            self.emulator.pop_modal(user_id)
        if not (notify and view.get("notify_on_close")):
            return None
        payload = {**self._interaction("view_closed", user_id), "view": view, "is_cleared": cleared}
        return self._send_interactive(payload)

    # -- events ---------------------------------------------------------------------------

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        """An Events API ``event_callback``; ``retry_num`` adds Slack's retry headers."""
        team = self._team(event.get("user"), event.get("channel"))
        body = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": None,
            "api_app_id": self.emulator.app_id,
            "event": {"event_ts": _action_ts(), **event},
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._send_json(body, headers)

    def dm(self, user_id: str, text: str) -> Response:
        """The user writes to the app in their DM: stored in the emulator, then a message.im event."""
        posted = self.emulator.post_as_user(user_id, text)
        return self.event(
            {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": posted["ts"],
                "client_msg_id": str(uuid.uuid4()),
                "team": self._team(user_id),
                "blocks": [_rich_text(text)],
                "channel": posted["channel"],
                "event_ts": posted["ts"],
                "channel_type": "im",
            }
        )

    def home_opened(self, user_id: str) -> Response:
        """The user opens the app's Home tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.emulator.dm_channel(user_id),
            "tab": "home",
        }
        home = self.emulator.home(user_id)
        if home is not None:
            event["view"] = home
        return self.event(event)

    def url_verification(self, challenge: str) -> Response:
        """The handshake Slack sends when the Request URL is saved."""
        return self._send_json({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})

    # -- payload pieces -------------------------------------------------------------------

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.emulator.user(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id!r}: add it with emulator.add_user() first")
        return user

    def _team(self, *acting: Any) -> str:
        """The team a request comes from: ``team_id`` if given, else that of the first known member or channel."""
        if self.team_id is not None:
            return self.team_id
        teams = (self.emulator.team_of(a) for a in acting if isinstance(a, str))
        return next((t for t in teams if t is not None), self.emulator.team_id)

    def _domain(self, user_id: str) -> str:
        team = self.emulator.team(self._team(user_id))
        return team.domain if team is not None else self.emulator.team_domain

    def _interaction(self, kind: str, user_id: str) -> dict[str, Any]:
        """Fields every interactivity payload carries."""
        name, team = self._user(user_id)["name"], self._team(user_id)
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "team": {"id": team, "domain": self._domain(user_id)},
            "user": {"id": user_id, "username": name, "name": name, "team_id": team},
            "api_app_id": self.emulator.app_id,
            "enterprise": None,
            "is_enterprise_install": False,
        }


# -- module helpers ---------------------------------------------------------------------------


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _as_sent(message: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message as Slack puts it in payloads (without the emulator's extra keys)."""
    return {k: v for k, v in message.items() if k not in _OBSERVATION_KEYS}


def _is_view(payload: Mapping[str, Any]) -> bool:
    return payload.get("type") in ("modal", "home") and "id" in payload


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "block_id": secrets.token_hex(3),
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def _button_matches(button: Mapping[str, Any], action_id: str | None, text: str | None, value: str | None) -> bool:
    return (
        (action_id is None or button.get("action_id") == action_id)
        and (text is None or (button.get("text") or {}).get("text") == text)
        and (value is None or button.get("value") == value)
    )


def _find_element(blocks: list[Any], action_id: str, block_id: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    for block, element in interactive_elements(blocks):
        if element.get("action_id") == action_id and block_id in (None, block.get("block_id")):
            return block, element
    where = f" in block {block_id!r}" if block_id else ""
    found = [e.get("action_id") for _, e in interactive_elements(blocks)]
    raise LookupError(f"no element with action_id {action_id!r}{where}; elements: {found}")


def _action_value(element: Mapping[str, Any], value: Any, selected_option: Any) -> dict[str, Any]:
    """The type-specific part of a block action."""
    kind = str(element.get("type"))
    if kind == "button":
        action: dict[str, Any] = {"type": kind, "text": element.get("text")}
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            action["value"] = chosen
        return action
    raw = selected_option if selected_option is not None else value
    return _element_value(element, _UNSET if raw is None else raw)


def _view_state(blocks: list[Any], values: Mapping[str, Any], enforce_required: bool) -> dict[str, Any]:
    """``view.state.values`` in Slack's shape, {block_id: {action_id: value}}, for the inputs."""
    remaining = dict(values)
    state: dict[str, Any] = {}
    for block in blocks:
        if block.get("type") != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        action_id = element["action_id"]
        key = block_id if block_id in remaining else action_id if action_id in remaining else None
        entry = _element_value(element, remaining.pop(key) if key is not None else _UNSET)
        if enforce_required and not block.get("optional") and _is_empty(entry):
            raise ValueError(f"input {block_id!r} is required: Slack would not let the user submit it empty")
        state[block_id] = {action_id: entry}
    if remaining:
        inputs = [(b["block_id"], b["element"]["action_id"]) for b in blocks if b.get("type") == "input"]
        raise ValueError(f"no input for {sorted(remaining)}; the view's inputs are (block_id, action_id): {inputs}")
    return state


def _element_value(element: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    """The value of one element as Slack reports it; ``_UNSET`` means the user left it alone."""
    kind = str(element.get("type"))
    spec = _VALUE_SPECS.get(kind)
    if spec is None:
        raise ValueError(f"the driver cannot fill a {kind!r} element")
    if raw is not _UNSET:
        value = _convert(spec, element, raw)
    elif spec.initial is not None and element.get(spec.initial) is not None:
        value = element[spec.initial]
    else:
        value = spec.empty
    return {"type": kind, spec.key: value}


def _convert(spec: _ValueSpec, element: Mapping[str, Any], raw: Any) -> Any:
    if spec.kind == "text":
        return str(raw)
    if spec.kind == "option":
        return _option(element, raw)
    if spec.kind == "options":
        return [_option(element, item) for item in raw]
    if spec.kind == "list":
        return list(raw)
    if spec.kind == "int":
        return int(raw)
    if spec.kind == "rich_text":
        return raw if isinstance(raw, dict) else _rich_text(str(raw))
    return str(raw)


def _option(element: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    """The full option object Slack sends for a chosen option (given by value or as a dict)."""
    if isinstance(raw, Mapping):
        return dict(raw)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        if option.get("value") == raw:
            return dict(option)
    values = [o.get("value") for o in options]
    raise ValueError(f"{element.get('action_id')!r} has no option {raw!r}; options: {values}")


def _is_empty(entry: Mapping[str, Any]) -> bool:
    return all(value in (None, "", []) for key, value in entry.items() if key != "type")


def _check_error_targets(view: Mapping[str, Any], errors: Mapping[str, Any]) -> None:
    """Slack only shows ``response_action: errors`` on input blocks; others are an app bug."""
    inputs = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
    unknown = sorted(set(errors) - inputs)
    if unknown:
        raise ValueError(f"response_action errors name blocks that are not inputs of the view: {unknown}")
