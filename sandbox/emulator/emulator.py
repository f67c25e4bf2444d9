"""``SlackEmulator``: every API family on one workspace, served over HTTP on loopback."""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit

from bot.slack_limits import Limits
from sandbox.emulator.conversations import Conversations
from sandbox.emulator.files import Files
from sandbox.emulator.oauth import CLIENT_METHODS, OAuth, client_credentials
from sandbox.emulator.reactions import Reactions
from sandbox.emulator.records import EmulatorError
from sandbox.emulator.responses import ResponseUrls
from sandbox.emulator.server import HttpServer
from sandbox.emulator.views import Views
from sandbox.emulator.wire import PROCESSED_THEN_FAILED, Reply, Request, bearer_token, request_args

logger = logging.getLogger("sandbox.emulator")


class SlackEmulator(Conversations, Reactions, Files, ResponseUrls, Views, OAuth):
    """A fake Slack workspace with its Web API on loopback. See the package docstring."""

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
        super().__init__()
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_token = bot_token
        self.bot_id = bot_id
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.validate_blocks = validate_blocks
        self.limits = limits
        self._server: HttpServer | None = None
        self._origin = None
        self._clear_activity()
        self.add_team(team_id, bot_token, domain=self.team_domain, name="Triad Sandbox")
        self.add_user(bot_user_id, "triad", "Triad", is_bot=True)
        self._methods = self._web_api()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Start serving on a free loopback port; returns self."""
        if self._server is not None:
            raise RuntimeError("SlackEmulator already started")
        self._server = HttpServer(self._handle)
        self._origin = self._server.origin
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests hanging in "timeout" mode are released."""
        if self._server is None:
            return
        self._healed.set()
        self._server.stop()
        self._server = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget messages, views, files, calls and failures; keep users and channels."""
        with self._changing():
            self._clear_activity()

    # -- request handling -----------------------------------------------------------------

    def _handle(self, request: Request) -> Reply:
        """Route one HTTP request; never raises (an emulator bug answers fatal_error)."""
        path = urlsplit(request.path).path
        try:
            if path.startswith("/api/"):
                return self._api_request(path[len("/api/") :], request)
            return self._route(path, request) or Reply.text(404, "not found")
        except Exception:
            logger.exception("Slack emulator failed on %s", path)
            self._record(path, {}, ok=False, error="fatal_error")
            return Reply.json(500, {"ok": False, "error": "fatal_error"})

    def _api_request(self, method: str, request: Request) -> Reply:
        try:
            args = request_args(request)
        except EmulatorError as error:
            self._record(method, {}, ok=False, error=error.error)
            return Reply.json(200, error.to_response())
        token = bearer_token(request.headers) or args.pop("token", None)
        args.pop("token", None)
        if method in CLIENT_METHODS:
            client_credentials(request.headers, args)
        channel = self._resolved_channel(str(args["channel"])) if args.get("channel") else None
        limited = self._rate_limited(method, channel, token)
        if limited is not None:
            self._record(method, args, ok=False, error="ratelimited")
            return Reply.json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(math.ceil(limited))})
        fault = self._take_fault(method, channel)
        refusal = self._injected_reply(method, args, fault)
        if refusal is not None:
            return refusal
        result = self._call(method, args, token, fault.mode if fault else None)
        if fault is None or fault.mode == "slow":
            return Reply.json(200, result)
        if fault.mode == "process_then_reset":
            return Reply(action="reset")
        if fault.mode == "process_then_hang":
            self._healed.wait(fault.timeout_sleep)
            return Reply(action="close")
        return PROCESSED_THEN_FAILED

    def _call(self, method: str, args: dict[str, Any], token: str | None, fault: str | None) -> dict[str, Any]:
        """Authenticate and run one API method under the lock, as the token's team; record it."""
        with self._changing():
            calling_team: str | None = None
            try:
                if method not in CLIENT_METHODS:
                    if not token:
                        raise EmulatorError("not_authed")
                    if self.revoked(token):
                        raise EmulatorError("token_revoked")
                    self._caller = next((team for team in self._teams.values() if team.bot_token == token), None)
                    if self._caller is None:
                        raise EmulatorError("invalid_auth")
                    calling_team = self._caller.id
                handler = self._methods.get(method)
                if handler is None:
                    raise EmulatorError("unknown_method")
                result = {"ok": True, **handler(args)}
            except EmulatorError as error:
                result = error.to_response()
            finally:
                self._caller = None
            self._record(method, args, ok=result["ok"], error=result.get("error"), fault=fault, team=calling_team)
            return result
