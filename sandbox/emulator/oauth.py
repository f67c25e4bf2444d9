"""Installing the app, as Slack's OAuth v2 does it: the browser's approval page, oauth.v2.access, uninstalling.

``register_app`` gives the emulator the app's client id and secret. A browser sent to
``{origin}/oauth/v2/authorize?client_id=…&state=…`` is answered as if an admin of the team chose "Allow":
a redirect to the app's redirect URL with a one-time code (``?team=`` picks the team, else ``approve_for``'s,
else the first; a team not known yet is created). The app trades the code for the team's bot token with
oauth.v2.access. ``uninstall`` revokes a team's token: calls made with it answer ``token_revoked``, as the app
hears from ``app_uninstalled`` and ``tokens_revoked`` (the driver sends those).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sandbox.emulator.records import EmulatorError
from sandbox.emulator.state import Method, Workspace
from sandbox.emulator.wire import Reply, Request

AUTHORIZE_PATH = "/oauth/v2/authorize"
CLIENT_METHODS = frozenset({"oauth.v2.access"})  # authenticated by the app's client id and secret, not a token


class OAuth(Workspace):
    def __init__(self) -> None:
        super().__init__()
        self.client_id: str | None = None
        self.client_secret: str | None = None
        self.redirect_uri: str | None = None
        self._approving: tuple[str, str] | None = None
        self._revoked: set[str] = set()
        self._codes: dict[str, tuple[str, str, str | None]] = {}  # code -> team id, team name, redirect_uri

    def register_app(self, client_id: str, client_secret: str, redirect_uri: str | None = None) -> None:
        """The app's credentials (Basic Information) and its one redirect URL (OAuth & Permissions)."""
        with self._changing():
            self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri

    def approve_for(self, team_id: str, name: str | None = None) -> None:
        """The next approvals are made in this team (created when the app first installs there)."""
        with self._changing():
            self._approving = (team_id, name or team_id)

    def uninstall(self, team_id: str) -> str:
        """The team removes the app: its bot token stops working. Returns the token revoked."""
        with self._changing():
            token = self._teams[team_id].bot_token
            self._revoked.add(token)  # installing again gives the team a new one
            return token

    def revoked(self, token: str | None) -> bool:
        return token in self._revoked

    def _web_api(self) -> dict[str, Method]:
        return {**super()._web_api(), "oauth.v2.access": self._oauth_v2_access}

    def _route(self, path: str, request: Request) -> Reply | None:
        if path == AUTHORIZE_PATH and request.method == "GET":
            return self._authorize(request)
        return super()._route(path, request)

    def _authorize(self, request: Request) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        if self.client_id is None or query.get("client_id") != self.client_id:
            return Reply.text(400, "invalid_client_id")
        redirect = query.get("redirect_uri") or self.redirect_uri
        if not redirect or (self.redirect_uri and redirect != self.redirect_uri):
            return Reply.text(400, "bad_redirect_uri")
        team_id, name = (query["team"], query["team"]) if query.get("team") else \
            self._approving or (self.team_id, self._teams[self.team_id].name)
        code = secrets.token_hex(8)
        with self._changing():
            self._codes[code] = (team_id, name, query.get("redirect_uri"))
            self._record("oauth.v2.authorize", query, ok=True)
        answer = urlencode({"code": code, **({"state": query["state"]} if "state" in query else {})})
        return Reply(status=302, headers={"Location": f"{redirect}{'&' if '?' in redirect else '?'}{answer}"})

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.client_id is None or (args.get("client_id"), args.get("client_secret")) != (self.client_id,
                                                                                             self.client_secret):
            raise EmulatorError("invalid_client_id")
        found = self._codes.pop(str(args.get("code") or ""), None)
        if found is None:
            raise EmulatorError("invalid_code")
        team_id, name, redirect = found
        if redirect and args.get("redirect_uri") != redirect:
            raise EmulatorError("bad_redirect_uri")
        team = self._teams.get(team_id)
        if team is None or team.bot_token in self._revoked:
            token = f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}"
            if team is None:
                self.add_team(team_id, token, name=name)
            else:
                self._teams[team_id] = replace(team, bot_token=token)
            team = self._teams[team_id]
        return {"access_token": team.bot_token, "token_type": "bot", "scope": "chat:write,commands",
                "bot_user_id": self.bot_user_id, "app_id": self.app_id, "team": {"id": team.id, "name": team.name},
                "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "U0INSTALLER"}}


def client_credentials(headers: dict[str, str], args: dict[str, Any]) -> None:
    """slack_sdk sends oauth.v2.access's client id and secret as HTTP Basic auth: read them into the arguments."""
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        args.setdefault("client_id", client_id)
        args.setdefault("client_secret", client_secret)

