"""The emulated workspace itself: who is in it, which channels it has, and the ids and timestamps it hands out.

``Workspace`` is the base of every API family (chat, views, files...): they share its lock, its
directory of members and channels, and the way Slack resolves a channel argument.

There is one team unless ``add_team`` installs Triad in another: then each member and channel belongs
to one team, and a Web API call made with a team's bot token sees that team's members and
conversations only (``_caller``), as in Slack. The bot user is the same in every team.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.emulator.events import Observable
from sandbox.emulator.records import EmulatorError, Team, User
from sandbox.emulator.wire import Reply, Request

# A Web API method: takes the parsed arguments, returns the answer's fields (or raises EmulatorError).
Method = Callable[[dict[str, Any]], dict[str, Any]]


class Workspace(Observable):
    """The Slack workspace(s) Triad is installed in: their members and channels, and the bot's identity."""

    team_domain = "triad-sandbox"
    bot_user_id: str
    team_id: str
    bot_token: str
    bot_id: str
    app_id: str
    validate_blocks: bool
    _origin: str | None

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        # Slack's view and file ids are unique for ever; an app may remember them across restarts
        # (the sandbox keeps its database), so each emulator run gets its own id prefix.
        self._run = secrets.token_hex(3).upper()
        self._last_ts_micros = 0
        self._teams: dict[str, Team] = {}
        self._users: dict[str, User] = {}
        self._channels: dict[str, str] = {}  # id -> name
        self._channel_teams: dict[str, str] = {}  # channel id -> team id
        self._dm_users: dict[str, str] = {}  # DM channel id -> user id
        self._caller: Team | None = None  # the team whose token made the Web API call under way

    def _web_api(self) -> dict[str, Method]:
        """The Web API methods served, by name (each family adds its own, then calls super)."""
        return {}

    def _route(self, path: str, request: Request) -> Reply | None:
        """The reply to a request outside /api/ that a family serves (upload URLs...), or None."""
        return None

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._origin is None:
            raise RuntimeError("SlackEmulator is not started")
        return self._origin

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give to ``slack_sdk.WebClient``."""
        return f"{self.origin}/api/"

    # -- teams, members and channels ---------------------------------------------------------

    def add_team(self, team_id: str, bot_token: str, *, domain: str | None = None, name: str | None = None) -> None:
        """Install Triad in a(nother) workspace: calls made with ``bot_token`` are that team's."""
        with self._changing():
            if any(t.bot_token == bot_token and t.id != team_id for t in self._teams.values()):
                raise ValueError("each team has a bot token of its own")
            self._teams[team_id] = Team(team_id, domain or team_id.lower(), name or team_id, bot_token)

    def team(self, team_id: str) -> Team | None:
        """A team Triad is installed in, or None."""
        with self._cond:
            return self._teams.get(team_id)

    def team_of(self, member_or_conversation: str) -> str | None:
        """The id of the team a member, a channel or a DM belongs to, or None if there is no such thing."""
        with self._cond:
            user = self._users.get(self._dm_users.get(member_or_conversation, member_or_conversation))
            return user.team_id if user is not None else self._channel_teams.get(member_or_conversation)

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        locale: str = "en-US",
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_admin: bool = False,
        *,
        is_bot: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> None:
        """Add (or replace) a member of a team (default: the first); each member has a DM channel with the bot."""
        with self._changing():
            team = self._known_team(team_id)
            self._users[user_id] = User(user_id, name, real_name, locale, tz, tz_offset, is_admin, is_bot, is_owner,
                                        team)
            self._dm_users[self.dm_channel(user_id)] = user_id

    def add_channel(self, channel_id: str, name: str, *, team_id: str | None = None) -> None:
        """Add a public channel of a team (default: the first) that the bot is a member of."""
        with self._changing():
            self._channel_teams[channel_id] = self._known_team(team_id)
            self._channels[channel_id] = name

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The id of the bot's DM channel with ``user_id`` (stable: ``U123`` -> ``D123``)."""
        return "D" + user_id[1:]

    def dm_user(self, channel_id: str) -> str | None:
        """The user on the other side of DM ``channel_id``, or None for other channels."""
        with self._cond:
            return self._dm_users.get(channel_id)

    def user(self, user_id: str) -> dict[str, Any] | None:
        """The member as ``users.info`` would return it (with locale), or None."""
        with self._cond:
            user = self._users.get(user_id)
            return user.to_api(include_locale=True) if user else None

    def channel_name(self, channel_id: str) -> str | None:
        """A channel's name; ``"directmessage"`` for DMs, as Slack puts in payloads."""
        with self._cond:
            if channel_id in self._dm_users:
                return "directmessage"
            return self._channels.get(channel_id)

    def _resolved_channel(self, channel: str) -> str:
        """A user id means their DM, as when posting."""
        with self._cond:
            user = self._users.get(channel)
            return self.dm_channel(channel) if user is not None and not user.is_bot else channel

    def _postable_channel(self, channel: str) -> str:
        """Resolve a channel for posting: a member's user id means their DM, as in Slack."""
        user = self._member(channel)
        if user is not None and not user.is_bot:
            return self.dm_channel(channel)
        return self._existing_channel(channel)

    def _existing_channel(self, channel: str) -> str:
        """A channel or DM the call may use: one of the calling team's."""
        if (channel in self._channels or channel in self._dm_users) and self._callers(self.team_of(channel)):
            return channel
        raise EmulatorError("channel_not_found")

    def _member(self, user_id: str) -> User | None:
        """A member the call may see: one of the calling team's (the bot is in every team)."""
        user = self._users.get(user_id)
        return user if user is not None and (user.is_bot or self._callers(user.team_id)) else None

    def _callers(self, team_id: str | None) -> bool:
        """Whether something of ``team_id`` is the calling team's (always, outside a Web API call)."""
        return self._caller is None or self._caller.id == team_id

    def _known_team(self, team_id: str | None) -> str:
        team = team_id or self.team_id
        if team not in self._teams:
            raise ValueError(f"unknown team {team!r}: add_team() first")
        return team

    # -- ids ------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        """A unique, increasing message timestamp close to the wall clock."""
        micros = max(time.time_ns() // 1000, self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
