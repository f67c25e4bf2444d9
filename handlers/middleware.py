"""Global middleware: serve the request's workspace; drop Slack's retries of events already handled; know who is
asking."""
from __future__ import annotations

import logging

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot import clock, workspaces
from bot.org import people
from bot.runtime import Runtime
from handlers.reports import forms
from storage.models import ProcessedEvent
from storage.workspaces import serve

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    @app.middleware
    def serve_the_workspace(body: dict, context: BoltContext, next) -> BoltResponse | None:
        """Every unit of work of the request (and of its listener, in another thread) belongs to its team's
        organisation; a team Triad does not serve is refused before anything is read or written."""
        team_id = team_of(body, context)
        serve(None)  # a thread that answered another team's request before (Socket Mode reuses threads)
        if not team_id:
            return next()  # nothing of a workspace to touch (url_verification)
        if not isinstance(team_id, str):  # from a field no real Slack fills that way
            log.warning("refused a request whose team id is a %s", type(team_id).__name__)
            return BoltResponse(status=400, body="malformed team id")
        installed = runtime.installs is not None and bool(context.authorize_result and context.bot_token)
        workspace = workspaces.serving_team(runtime.db, team_id, enterprise_id=context.enterprise_id,
                                            installed=installed)
        if workspace is None:
            log.warning("a request of team %s, which Triad does not serve, was refused", team_id)
            return BoltResponse(status=403, body="this workspace is not served here")
        if workspaces.is_uninstalled(runtime.db, workspace) and not uninstalling(body):
            workspaces.reinstalled(runtime.db, workspace)  # Slack sends requests only where the app is installed
        serve(workspace)  # Bolt runs the next middleware once this one returns: no ``with``
        return next()

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
        user_id = context.user_id
        if user_id:
            # An anonymous filing leaves no trace: its sender is looked up, never registered or refreshed.
            if forms.is_anonymous_filing(body):
                context["actor"] = anonymous_actor(runtime, user_id)
            else:
                context["actor"], stale = known_actor(runtime, user_id)
                if stale:
                    context[REFRESH] = lambda: refreshed_actor(runtime, user_id)
        return next()


def uninstalling(body: dict) -> bool:
    event = body.get("event")
    return isinstance(event, dict) and event.get("type") in ("app_uninstalled", "tokens_revoked")


def team_of(body: dict, context: BoltContext) -> object:
    """The workspace the person acts in: the request's team (in Enterprise Grid, their own workspace, where Bolt
    would name the team the app is installed in), else Bolt's."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return team["id"]
    return body.get("team_id") or context.team_id


REFRESH = "refresh_actor_after_ack"  # set on the context; handlers.errors.barrier runs it once the ack is sent


def known_actor(runtime: Runtime, slack_user_id: str) -> tuple[people.Actor, bool]:
    """The person behind a Slack user id as Triad knows them now, and whether Slack should be asked again.

    Slack is never asked here: users.info can take a while, and every request passes here before its
    ack. Someone seen for the first time is registered as a worker from what the request says (their id),
    and their profile (name, language, time zone, workspace admin) is asked once the ack is sent."""
    with runtime.db.read() as s:  # a pure read, never behind the write lock
        person = people.find(s, slack_user_id)
        if person is not None:
            return people.actor_of(person, people.settings_of(s)), people.needs_profile(person)
    with runtime.db.session() as s:
        try:
            with s.begin_nested():
                person = people.register_or_refresh(s, slack_user_id, None)
        except IntegrityError:  # registered a moment ago by a parallel request
            person = people.find(s, slack_user_id)
            assert person is not None
        return people.actor_of(person, people.organisation(s)), True


def refreshed_actor(runtime: Runtime, slack_user_id: str) -> people.Actor:
    """Ask Slack for the profile (outside any transaction, briefly) and store it."""
    profile = runtime.gateway.user_profile(slack_user_id, timeout=1.5)
    with runtime.db.session() as s:
        person = people.register_or_refresh(s, slack_user_id, profile)
        return people.actor_of(person, people.organisation(s))


def refresh_after_ack(context: BoltContext) -> None:
    """Once the ack is sent: the profile the middleware left to ask, and the actor the rest of the listener sees."""
    refresh = context.pop(REFRESH, None)
    if refresh is None:
        return
    try:
        context["actor"] = refresh()
    except Exception as exc:  # the listener goes on with what Triad knew: asked again next time
        log.warning("profile of %s not refreshed: %s", context.user_id, exc)


def anonymous_actor(runtime: Runtime, slack_user_id: str) -> people.Actor:
    """The sender of an anonymous report, for their language only: a pure read, nothing registered or touched."""
    with runtime.db.read() as s:
        person = people.find(s, slack_user_id)
        org = people.settings_of(s)
        return people.actor_of(person, org) if person else people.stranger(slack_user_id, org)
