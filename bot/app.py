"""The Bolt app factory: one app, the same in HTTP mode, Socket Mode, the sandbox and the tests."""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.config import Settings
from bot.runtime import Runtime

log = logging.getLogger(__name__)
SANDBOX_SIGNING_SECRET = "sandbox-signing-secret"  # no secret set: the sandbox's, which Slack never uses
AUTH_RETRY = 30.0  # seconds between attempts to learn who the bot is while Slack does not answer

# Bolt runs every listener in this pool and answers Slack as soon as the listener acks; the work
# after the ack keeps a thread busy, so the pool is larger than Bolt's default of 5: a new request
# must find a free thread to ack from while earlier ones are still working or wait their turn to
# write (storage/db.py Admission). Threads start only as needed.
LISTENER_THREADS = 256


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener threads, counted: the sandbox and the tests wait until the work after an ack is done."""

    def __init__(self, max_workers: int = LISTENER_THREADS) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._running = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._changed:
            self._running += 1
        request = contextvars.copy_context()  # the request's clock and the workspace the middleware serves

        def counted():
            try:
                return request.run(fn, *args, **kwargs)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

        return super().submit(counted)

    def busy(self) -> bool:
        """Whether some listener is still at work after its ack."""
        with self._changed:
            return self._running > 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no listener is running; False if some still run after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout)


def signing_secret(settings: Settings) -> str:
    """The secret Bolt, and the guard in front of it (bot/server.py), check requests' signatures with."""
    return settings.signing_secret or SANDBOX_SIGNING_SECRET


def create_app(runtime: Runtime) -> App:
    """One bot token: Bolt's authorize is ``BotIdentity``. Installs (OAuth): each team's bot from the
    installation store, and Bolt's install pages at /slack/install and /slack/oauth_redirect."""
    settings, gateway = runtime.settings, runtime.gateway
    runtime.listeners = ListenerPool()
    client = WebClient(base_url=gateway.base_url, timeout=gateway.timeout)  # each request's token from authorize
    common: dict[str, Any] = dict(client=client, signing_secret=signing_secret(settings),
                                  request_verification_enabled=True, ignoring_self_events_enabled=True,
                                  logger=logging.getLogger("slack_bolt"), listener_executor=runtime.listeners)
    if runtime.installs is not None:
        from handlers.installs import InstalledBots, install_flow

        authorize: Any = InstalledBots(runtime.installs)  # an Authorize: Bolt takes it beside an OAuth flow
        app = App(**common, authorize=authorize, oauth_flow=install_flow(runtime, client))
    else:
        app = App(**common, authorize=BotIdentity(gateway.client).authorizer())
    import handlers

    handlers.register(app, runtime)
    return app


class BotIdentity:
    """Who the bot is (auth.test), learned off the request path.

    Bolt's own single-workspace authorization calls auth.test on the first request and, if Slack
    is down then, answers that request with an error: a DM sent during an outage right after
    start-up was dropped for good. Here a request never waits for auth.test: until the answer is
    known (asked in the background, again every AUTH_RETRY s while Slack is down) requests carry the
    token alone, and Triad's own messages are told apart by their bot_id in the listeners.
    """

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.known: dict | None = None
        self._lock = threading.Lock()
        self._asked_at = float("-inf")

    def authorizer(self):
        """Bolt's ``authorize``: a plain function, as Bolt passes arguments by their names."""
        def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
            known = self.known or {}
            if not known:
                self._ask_in_background()
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                   bot_token=self.client.token, bot_user_id=known.get("user_id"),
                                   bot_id=known.get("bot_id"))

        return authorize

    def _ask_in_background(self) -> None:
        with self._lock:
            if time.monotonic() - self._asked_at < AUTH_RETRY:
                return
            self._asked_at = time.monotonic()
        threading.Thread(target=self._ask, name="auth-test", daemon=True).start()

    def _ask(self) -> None:
        try:
            response = self.client.auth_test()
            self.known = {"user_id": response.get("user_id"), "bot_id": response.get("bot_id")}
        except Exception as exc:  # Slack down: the next request asks again after AUTH_RETRY
            log.warning("auth.test failed, the bot's own ids are not known yet: %s", exc)
