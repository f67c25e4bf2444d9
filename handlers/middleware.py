"""Global middleware: drop Slack's retries of events already handled; know who is asking."""
from __future__ import annotations

import logging

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot import clock
from bot.org import people
from bot.reports import forms
from bot.runtime import Runtime
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    @app.middleware
    def skip_duplicate_events(body: dict, req: BoltRequest, next) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                with runtime.db.session() as s:
                    s.add(ProcessedEvent(event_id=event_id, received_at=clock.now()))
            except IntegrityError:
                retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
                log.info("event %s already handled (retry %s): skipped", event_id, retry)
                return BoltResponse(status=200, body="")
        return next()

    @app.middleware
    def identify_actor(body: dict, context: BoltContext, next) -> BoltResponse | None:
        if context.user_id:
            # An anonymous filing leaves no trace: its sender is looked up, never registered or refreshed.
            lookup = anonymous_actor if forms.is_anonymous_filing(body) else actor_for
            context["actor"] = lookup(runtime, context.user_id)
        return next()


def actor_for(runtime: Runtime, slack_user_id: str) -> people.Actor:
    """The person behind a Slack user id, registering a newcomer as a worker on first sight."""
    with runtime.db.read() as s:  # every request passes here: a pure read, never behind the write lock
        person = people.find(s, slack_user_id)
        if person is not None and not people.needs_profile(person):
            return people.actor_of(person, people.settings_of(s))
    # Ask Slack outside the transaction (it can take a moment) and briefly: never block an ack.
    profile = runtime.gateway.user_profile(slack_user_id, timeout=1.5)
    with runtime.db.session() as s:
        try:
            with s.begin_nested():
                person = people.register_or_refresh(s, slack_user_id, profile)
        except IntegrityError:  # registered a moment ago by a parallel request
            person = people.find(s, slack_user_id)
            assert person is not None
        return people.actor_of(person, people.organisation(s))


def anonymous_actor(runtime: Runtime, slack_user_id: str) -> people.Actor:
    """The sender of an anonymous report, for their language only: a pure read, nothing registered or touched."""
    with runtime.db.session() as s:
        person = people.find(s, slack_user_id)
        org = people.organisation(s)
        return people.actor_of(person, org) if person else people.stranger(slack_user_id, org)
