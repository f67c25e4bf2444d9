"""Workspaces that install Triad through Slack's OAuth flow, each with a bot token of its own.

The tokens live in slack_sdk's SQLAlchemy installation store (tables in storage/models/installs.py); Bolt's
OAuth flow writes them there. Here: which bot serves a request's team (a team install, else its Enterprise
Grid org's org-wide install), the token a workspace's messages go out with, and forgetting both when Slack
says the app was uninstalled or its token revoked.
"""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import select

from bot import workspaces
from storage.db import Database
from storage.models import Organisation

log = logging.getLogger(__name__)

# What Triad asks a workspace for when it is installed: manifest.yml's bot scopes (a test keeps them equal).
SCOPES = ("chat:write", "chat:write.public", "commands", "im:history", "im:write", "channels:history",
          "groups:history", "users:read", "channels:read", "groups:read", "files:read", "files:write")
STATE_SECONDS = 600  # an install started in the browser must come back within this
KNOWN_FOR = 30.0  # seconds a bot found in the store is reused before it is looked up again
SLACK_AUTHORIZE = "https://slack.com/oauth/v2/authorize"


class Installs:
    """The installation store of one app (its client id) on Triad's database."""

    def __init__(self, db: Database, client_id: str) -> None:
        self.db = db
        self.store = SQLAlchemyInstallationStore(client_id=client_id, engine=db.engine, logger=log)
        self.states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=db.engine, logger=log)
        self._known: dict[tuple[str | None, str | None], tuple[float, Bot | None]] = {}
        self._teams: dict[int, tuple[str | None, str]] = {}  # workspace -> its Grid org and team: bound for good
        self._lock = threading.Lock()

    def bot(self, enterprise_id: str | None, team_id: str | None) -> Bot | None:
        """The bot installed for this team: its own install, else an org-wide install of its Grid org."""
        key = (enterprise_id, team_id)
        known = self._known.get(key)
        if known is not None and time.monotonic() - known[0] < KNOWN_FOR:
            return known[1]
        bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id) if team_id else None
        if bot is None and enterprise_id:
            bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        with self._lock:
            self._known[key] = (time.monotonic(), bot)
        return bot

    def token_for(self, workspace: int | None) -> str | None:
        """The bot token a workspace's messages are sent with; None while it has none (uninstalled)."""
        if workspace is None:
            return None
        team = self._teams.get(workspace)
        if team is None:  # once per workspace and process: every delivery asks
            with self.db.read() as s:
                found = s.execute(select(Organisation.enterprise_id, Organisation.team_id)
                                  .where(Organisation.id == workspace)).first()
            if found is None or found.team_id is None:
                return None
            team = self._teams[workspace] = (found.enterprise_id, found.team_id)
        bot = self.bot(*team)
        return bot.bot_token if bot is not None else None

    def installed(self, installation: Installation) -> int | None:
        """After Bolt stored an install: the organisation the team is (bound or made now). An org-wide install
        has no team yet: each of its workspaces gets its organisation on its first request."""
        self.forget()
        if installation.team_id is None:
            return None
        return workspaces.install(self.db, installation.team_id, installation.enterprise_id,
                                  installation.team_name)

    def uninstalled(self, enterprise_id: str | None, team_id: str | None, *, bot_only: bool) -> None:
        """Slack says the app is gone from a team (or its bot token revoked): its tokens go from the store."""
        if bot_only:
            self.store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        else:
            self.store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.forget()

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


def authorize_url(api_url: str) -> str:
    """Where a browser is sent to approve an install: Slack's, or the emulator's beside its Web API."""
    parts = urlsplit(api_url)
    if parts.netloc == "slack.com":
        return SLACK_AUTHORIZE
    return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"
