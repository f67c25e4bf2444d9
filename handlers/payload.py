"""The shapes of Slack's payloads that Bolt and Triad rely on: checked once, before any listener runs.

``problem(body)`` names the first field that is missing or of the wrong type (None when the body is
fit to dispatch); bot/guard.py answers 400 to anything it names, so listeners may read these fields
without guarding each access. What our own buttons and forms carry (values, private_metadata) is read
in bot/values.py.

Fields are optional unless marked ``Required``; unknown fields are ignored, as Slack adds fields freely.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any


class Required:
    def __init__(self, shape: Any) -> None:
        self.shape = shape


class OneOf:
    def __init__(self, *shapes: Any) -> None:
        self.shapes = shapes


class Each:
    """A mapping of free keys (block ids, action ids) to values of one shape."""

    def __init__(self, shape: Any) -> None:
        self.shape = shape


class IsoDate:
    pass


class SlackUser:
    """A user id as Slack writes them (U… or W…): anything else never reaches the people table."""

    pattern = re.compile(r"[UW][A-Z0-9]{1,31}")


class Channel:
    """A conversation id as Slack writes them: C… (channels), D… (DMs), G… (private, older)."""

    pattern = re.compile(r"[CDG][A-Z0-9]{1,31}")


class Url:
    """A response_url: Slack's https address (http on loopback in tests)."""

    pattern = re.compile(r"https?://[^\s/]+/\S*")


class Trigger:
    """A trigger_id as Slack issues them: ``<digits>.<digits>.<hex>``."""

    pattern = re.compile(r"\d+\.\d+\.[0-9a-f]+")


class Timestamp:
    """Seconds since the epoch that a datetime can hold."""


NonEmpty = object()  # marker inside a list shape: [NonEmpty, shape]

USER = {"id": Required(SlackUser)}
OPTION = {"value": Required(str)}
STATE_ELEMENT = {
    "type": str, "value": OneOf(str, type(None)), "selected_option": OneOf(OPTION, type(None)),
    "selected_options": [OPTION], "selected_date": OneOf(IsoDate, type(None)),
    "selected_date_time": OneOf(Timestamp, type(None)), "selected_time": OneOf(str, type(None)),
    "selected_user": OneOf(str, type(None)), "selected_users": [str],
    "selected_conversation": OneOf(str, type(None)), "selected_conversations": [str],
    "selected_channel": OneOf(str, type(None)), "selected_channels": [str],
    "files": [{"id": Required(str), "name": str, "title": str, "permalink": str}],
}
STATE = {"values": Required(Each(Each(STATE_ELEMENT)))}
VIEW = {"id": Required(str), "callback_id": str, "private_metadata": str, "hash": str, "type": str,
        "blocks": list, "state": STATE, "root_view_id": OneOf(str, type(None)),
        "previous_view_id": OneOf(str, type(None)), "external_id": str}
ACTION = {"action_id": Required(str), "block_id": str, "value": str, "action_ts": str, "type": str,
          **{k: v for k, v in STATE_ELEMENT.items() if k != "value"}}
MESSAGE = {"ts": str, "text": str, "user": str, "thread_ts": str, "blocks": list, "metadata": dict}
CONTAINER = {"type": str, "message_ts": str, "channel_id": Channel, "view_id": str, "is_ephemeral": bool}

# Read by Bolt itself while it builds the request and runs its own middleware, whatever the type.
ENVELOPE = {
    "type": str, "token": str, "api_app_id": str, "callback_id": str, "trigger_id": Trigger,
    "team": OneOf(str, {"id": OneOf(str, type(None)), "enterprise_id": OneOf(str, type(None))}, type(None)),
    "enterprise": OneOf(str, {"id": OneOf(str, type(None))}, type(None)),
    "user": OneOf(SlackUser, {"id": OneOf(SlackUser, type(None)), "team_id": OneOf(str, type(None))}, type(None)),
    "channel": OneOf(Channel, {"id": OneOf(Channel, type(None))}, type(None)),
    "is_enterprise_install": OneOf(bool, str, type(None)),
    "authorizations": [{"team_id": OneOf(str, type(None)), "enterprise_id": OneOf(str, type(None)),
                        "user_id": OneOf(str, type(None)), "is_enterprise_install": OneOf(bool, str, type(None))}],
    "event": {"type": str, "user": OneOf(SlackUser, {"id": OneOf(SlackUser, type(None))}, type(None)),
              "channel": OneOf(Channel, {"id": OneOf(Channel, type(None))}, type(None)),
              "bot_id": OneOf(str, type(None)), "subtype": OneOf(str, type(None)), "team": OneOf(str, type(None)),
              "text": OneOf(str, type(None)), "ts": str, "thread_ts": str, "channel_type": str, "tab": str,
              "event_ts": str, "item": dict},
    "event_id": str, "team_id": str, "user_id": SlackUser, "channel_id": Channel,
    "enterprise_id": OneOf(str, type(None)),
    "container": CONTAINER, "view": VIEW, "actions": [ACTION], "message": MESSAGE, "response_url": Url,
    "response_urls": [{"response_url": Url, "channel_id": str}], "function_data": dict,
    "bot_access_token": str, "command": str, "text": str, "challenge": str, "ssl_check": str,
}

# What each listener reads, by the payload's type.
BY_TYPE: dict[str, dict[str, Any]] = {
    "block_actions": {"user": Required(USER), "trigger_id": Required(Trigger), "actions": Required([NonEmpty, ACTION]),
                      "channel": {"id": Channel}},
    "view_submission": {"user": Required(USER), "view": Required({"id": Required(str), "type": Required(str),
                                                                "callback_id": Required(str),
                                                                "state": Required(STATE)})},
    "view_closed": {"user": Required(USER), "view": Required({"id": Required(str), "type": Required(str),
                                                            "callback_id": Required(str)})},
    "shortcut": {"user": Required(USER), "trigger_id": Required(Trigger), "callback_id": Required(str)},
    "message_action": {"user": Required(USER), "trigger_id": Required(Trigger), "callback_id": Required(str),
                       "channel": Required({"id": Required(Channel)}), "message": Required(MESSAGE)},
    "event_callback": {"event": Required({"type": Required(str)}), "event_id": Required(str)},
    "url_verification": {"challenge": Required(str)},
    # slash commands are form fields (all strings): only that the ones Triad reads are there
    "command": {"command": Required(str), "user_id": Required(SlackUser), "trigger_id": Required(Trigger),
                "response_url": Required(Url)},
}
KNOWN_TYPES = frozenset({*BY_TYPE, "block_suggestion", "app_rate_limited", "interactive_message",
                         "dialog_submission", "dialog_cancellation"})
# manifest.yml's bot_events (message.im arrives as "message"), and what Slack sends every app.
EVENT_TYPES = frozenset({"app_home_opened", "message", "app_uninstalled", "tokens_revoked"})
# Events whose listeners act for a person.
BY_EVENT: dict[str, dict[str, Any]] = {
    "app_home_opened": {"user": Required(SlackUser)},
}


def problem(body: Any) -> str | None:
    """The first thing wrong with a parsed request body, as a path and what was expected; None if fit."""
    if not isinstance(body, dict):
        return f"body: expected an object, got {_name(body)}"
    found = _check(body, ENVELOPE, "")
    if found:
        return found
    kind = "command" if "command" in body and "type" not in body else body.get("type")
    if kind is not None and kind not in KNOWN_TYPES:
        return f"type: {str(kind)[:40]!r} is not a payload Slack sends"
    found = _check(body, BY_TYPE[kind], "") if kind in BY_TYPE else None
    if found is None and kind == "event_callback":
        event_type = body["event"]["type"]
        if event_type not in EVENT_TYPES:
            return f"event.type: {event_type[:40]!r} is not an event Triad subscribes to"
        if event_type in BY_EVENT:
            found = _check(body["event"], BY_EVENT[event_type], "event")
    return found


def has_lone_surrogate(text: str, body: Any) -> bool:
    """JSON may escape half a UTF-16 pair (``"\\ud800"``): such a string can be neither stored nor sent on."""
    if not _SURROGATE_ESCAPE.search(text):
        return False
    return _any_lone_surrogate(body)


_SURROGATE_ESCAPE = re.compile(r"(?:\\|%5[cC])u[dD][89a-fA-F]")  # escaped in JSON, or in a form field too


def _any_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return False
        except UnicodeEncodeError:
            return True
    if isinstance(value, dict):
        return any(_any_lone_surrogate(k) or _any_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_lone_surrogate(v) for v in value)
    return False


def kind_of(body: Any) -> str:
    """A short name for logs: the payload's type, command or event type."""
    if not isinstance(body, dict):
        return "?"
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("type"), str):
        return f"event {event['type'][:40]}"
    named = body.get("command") or body.get("type")
    return str(named)[:40] if named else "?"


def _check(value: Any, shape: Any, path: str) -> str | None:
    if isinstance(shape, Required):
        shape = shape.shape
    if isinstance(shape, OneOf):
        for option in shape.shapes:
            if _check(value, option, path) is None:
                return None
        return f"{path or 'body'}: unexpected {_name(value)}"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{path or 'body'}: expected an object, got {_name(value)}"
        for key, inner in shape.items():
            where = f"{path}.{key}" if path else key
            if key not in value:
                if isinstance(inner, Required):
                    return f"{where}: missing"
                continue
            if value[key] is None and not isinstance(inner, Required) and not _is_oneof_with_none(inner):
                continue  # an optional field sent as null reads as absent
            found = _check(value[key], inner, where)
            if found:
                return found
        return None
    if isinstance(shape, Each):
        if not isinstance(value, dict):
            return f"{path}: expected an object, got {_name(value)}"
        for key, inner in value.items():
            found = _check(inner, shape.shape, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path}: expected a list, got {_name(value)}"
        non_empty = shape[0] is NonEmpty
        item = shape[-1]
        if non_empty and not value:
            return f"{path}: empty"
        for i, element in enumerate(value):
            found = _check(element, item, f"{path}[{i}]")
            if found:
                return found
        return None
    if shape is IsoDate:
        try:
            date.fromisoformat(value)
            return None
        except (TypeError, ValueError):
            return f"{path}: expected a date, got {_name(value)}"
    if shape in (SlackUser, Channel, Url, Trigger):
        ok = isinstance(value, str) and shape.pattern.fullmatch(value) is not None
        return None if ok else f"{path}: expected a {shape.__name__}, got {_name(value)}"
    if shape is Timestamp:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**33
        return None if ok else f"{path}: expected a time, got {_name(value)}"
    if shape is bool:
        return None if isinstance(value, bool) else f"{path}: expected bool, got {_name(value)}"
    if shape is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{path}: expected int, got {_name(value)}"
    if isinstance(shape, type):
        return None if isinstance(value, shape) else f"{path}: expected {shape.__name__}, got {_name(value)}"
    raise TypeError(f"unknown shape {shape!r}")


def _is_oneof_with_none(shape: Any) -> bool:
    return isinstance(shape, OneOf) and type(None) in shape.shapes


def _name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


# --- what a listener reads (values that travel through Slack are read in bot/values.py) ------------

def pressed(body: dict[str, Any]) -> dict[str, Any]:
    """The element pressed (the guard made sure there is one)."""
    return body["actions"][0]


def pressed_value(body: dict[str, Any]) -> Any:
    """The pressed button's value, for a kind of bot/values.py to decode."""
    return pressed(body).get("value")


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """``{block_id: {action_id: element}}`` of a submitted form (checked by ``problem``)."""
    return view["state"]["values"]


def user_id(body: dict[str, Any]) -> str | None:
    """Who is asking: an interaction's user.id, a command's user_id or an event's user."""
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return user["id"]
    if isinstance(body.get("user_id"), str):
        return body["user_id"]
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return event["user"]
    return None
