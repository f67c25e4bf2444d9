"""When a listener or middleware fails: log it once, answer Slack at once, and tell the person.

Every listener runs behind ``barrier``: an exception never reaches Bolt, which would otherwise answer
500, or (when it comes after the ack) reset the ack it already had and keep Slack waiting 3 s. The
person is told in their language that something went wrong and that nothing they wrote was lost,
on the surface they used: over their form (pushed, so the form stays beneath as they wrote it), by
an ephemeral where they pressed or typed a command (with their words, to send again), on their
App Home, else by DM. These notices go straight to Slack, not through the outbox: the failure may
be the database itself, and there is no transaction open here.
"""
from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.kwargs_injection.args import Args

from bot.i18n import Reader, language_for_locale, render, text
from bot.runtime import Runtime
from handlers import payload
from handlers.middleware import refresh_after_ack

log = logging.getLogger(__name__)
LISTENER_KINDS = ("action", "command", "view", "view_submission", "view_closed", "shortcut", "global_shortcut",
                  "message_shortcut", "event", "message", "options", "block_action")


class GuardedApp:
    """The app as listener modules see it: each listener they register is put behind ``barrier``."""

    def __init__(self, app: App, runtime: Runtime) -> None:
        self._app, self._runtime = app, runtime

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._app, name)
        if name not in LISTENER_KINDS:
            return attribute

        def registering(*args: Any, **kwargs: Any) -> Callable:
            register = attribute(*args, **kwargs)

            def decorator(fn: Callable) -> Callable:
                register(barrier(self._runtime, fn))
                return fn

            return decorator

        return registering


def barrier(runtime: Runtime, listener: Callable) -> Callable:
    names = list(inspect.signature(listener).parameters)

    def behind_barrier(args: Args) -> None:
        try:
            ack = _then_refresh(args)
            listener(**{name: ack if name == "ack" else getattr(args, name) for name in names})
        except Exception as error:
            log.error("listener %s failed for %s: %s", listener.__name__, payload.kind_of(args.body), error,
                      exc_info=error)
            acked = args.ack.response is not None
            answer = failure_answer(runtime, args.body, args.context, error, acked=acked)
            if not acked:
                args.ack(**answer)

    behind_barrier.__name__ = listener.__name__  # Bolt names listeners in its logs
    return behind_barrier


def _then_refresh(args: Args) -> Callable[..., Any]:
    """The listener's ack, followed by the profile refresh the middleware left for after it (events are
    acked by Bolt before their listener runs: refreshed at once)."""
    def ack(*positional: Any, **named: Any) -> Any:
        answer = args.ack(*positional, **named)
        refresh_after_ack(args.context)
        return answer

    if args.ack.response is not None:
        refresh_after_ack(args.context)
    return ack


def register(app: App, runtime: Runtime) -> None:
    @app.error
    def middleware_failed(error: Exception, body: dict, context, response: BoltResponse | None) -> BoltResponse | None:
        """Listeners fail behind their barrier; what reaches here failed before them (e.g. the database is
        down while Triad looks up who is asking)."""
        log.error("request failed before its listener for %s: %s", payload.kind_of(body), error, exc_info=error)
        if response is None:  # already answered
            failure_answer(runtime, body, context, error, acked=True)
            return None
        answer = failure_answer(runtime, body, context, error, acked=False)
        return BoltResponse(status=200, body=answer if answer else "")


def failure_answer(runtime: Runtime, body: dict[str, Any], context, error: Exception, *, acked: bool) -> dict[str, Any]:
    """Tell the person; returns what the ack should carry when it is still to be sent."""
    reader = _reader(runtime, context, body)
    kind = "command" if "command" in body and "type" not in body else body.get("type")
    user = payload.user_id(body)
    if kind == "view_submission" and not acked:
        return {"response_action": "push",
                "view": render("failure", reader, surface="modal", text=text(reader, "common.error.failed_form"))}
    if user is None:
        return {}
    try:
        _tell(runtime, reader, kind, user, body, context)
    except Exception as exc:  # Slack is down too: the log line above is all that can be done
        log.warning("could not tell %s that their request failed: %s", user, exc)
    return {}


def _tell(runtime: Runtime, reader: Reader, kind: str | None, user: str, body: dict[str, Any], context) -> None:
    client = runtime.gateway.client
    respond = getattr(context, "respond", None)
    if kind == "command":
        message = text(reader, "common.error.failed_command", command=body.get("command", ""),
                       words=(body.get("text") or "").strip()[:2500])
        if respond is not None and body.get("response_url"):
            respond(text=message, response_type="ephemeral", replace_original=False)
        else:
            client.chat_postMessage(channel=user, text=message)
        return
    event = body.get("event") if kind == "event_callback" else None
    if event is not None and event.get("type") == "app_home_opened":
        client.views_publish(user_id=user, view=render("failure", reader, surface="home",
                                                        text=text(reader, "common.error.failed", dm=False)))
        return
    if kind == "view_submission":  # the form closed at its ack: give back what was typed into it
        words = "\n".join(typed_words(body))
        client.chat_postMessage(channel=user, text=text(reader, "common.error.failed_form_saved_later",
                                                        words=words[:2500]))
        return
    is_dm = event is not None and event.get("channel_type") == "im"
    message = text(reader, "common.error.failed", dm=is_dm)
    if kind == "block_actions":
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if respond is not None and body.get("response_url"):
            respond(text=message, response_type="ephemeral", replace_original=False)
            return
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=message)
            return
    client.chat_postMessage(channel=event["channel"] if event is not None and is_dm else user, text=message)


def typed_words(body: dict[str, Any]) -> list[str]:
    """The texts a person typed into a submitted form, in the form's order."""
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return [element["value"].strip() for block in values.values() if isinstance(block, dict)
            for element in block.values()
            if isinstance(element, dict) and element.get("type") == "plain_text_input"
            and isinstance(element.get("value"), str) and element["value"].strip()]


def _reader(runtime: Runtime, context, body: dict[str, Any]) -> Reader:
    """The person's language: known to Triad, else from Slack (the database may be what failed)."""
    actor = context.get("actor") if context is not None else None
    if actor is not None:
        return actor.reader
    user = payload.user_id(body)
    profile = runtime.gateway.user_profile(user, timeout=1.0) if user else None
    if profile is None:
        return Reader()
    return Reader(language_for_locale(profile.locale), profile.tz or "UTC", profile.locale)
