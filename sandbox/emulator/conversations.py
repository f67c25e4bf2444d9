"""auth.test, users.* and conversations.*: who the bot is, who the members are, and channels' history."""

from __future__ import annotations

from typing import Any

from sandbox.emulator.chat import Chat
from sandbox.emulator.records import PERMALINK_HOST, EmulatorError
from sandbox.emulator.state import Method
from sandbox.emulator.wire import flag, int_arg, required

HISTORY_LIMIT_DEFAULT = 100


class Conversations(Chat):
    def _web_api(self) -> dict[str, Method]:
        return {
            **super()._web_api(),
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
        }

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self._caller or self._teams[self.team_id]
        return {
            "url": f"{PERMALINK_HOST}/",
            "team": team.name,
            "user": self._users[self.bot_user_id].name,
            "team_id": team.id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._member(str(required(args, "user")))
        if user is None:
            raise EmulatorError("user_not_found")
        return {"user": user.to_api(include_locale=flag(args, "include_locale"))}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every member in one page (the sandbox's workspaces are small)."""
        return {"members": [u.to_api(include_locale=flag(args, "include_locale"))
                            for u in self._users.values() if self._member(u.id)],
                "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": self._existing_channel(str(args["channel"]))}}
        users = [u for u in str(required(args, "users")).split(",") if u]
        if len(users) != 1:
            raise EmulatorError("invalid_arguments", ["the sandbox supports 1:1 DMs only"])
        if self._member(users[0]) is None:
            raise EmulatorError("user_not_found")
        return {"channel": {"id": self.dm_channel(users[0])}, "no_op": True, "already_open": True}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel")))
        user = self._dm_users.get(channel)
        if user is not None:
            return {"channel": {"id": channel, "is_im": True, "is_channel": False, "user": user}}
        return {"channel": {"id": channel, "name": self._channels[channel], "is_im": False, "is_channel": True,
                            "is_member": True}}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel")))
        limit = max(1, int_arg(args, "limit", HISTORY_LIMIT_DEFAULT))
        inclusive = flag(args, "inclusive")
        oldest = _ts_key(str(args.get("oldest") or "0"))
        latest = _ts_key(str(args["latest"])) if args.get("latest") else None
        found = [
            m for m in reversed(self._messages.values())
            if m.channel == channel and m.thread_ts in (None, m.ts)
            and _in_range(_ts_key(m.ts), oldest, latest, inclusive)
        ]
        with_metadata = flag(args, "include_all_metadata")
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in found[:limit]],
            "has_more": len(found) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel")))
        parent = self._thread_parent(channel, str(required(args, "ts")))
        with_metadata = flag(args, "include_all_metadata")
        thread = [parent] + [self._messages[(channel, ts)] for ts, _ in parent.replies]
        limit = max(1, int_arg(args, "limit", 1000))
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in thread[:limit]],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }


def _ts_key(ts: str) -> tuple[int, int]:
    """A Slack timestamp ("1700000000.000100") as a sortable pair, without float rounding."""
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds or 0), int((fraction + "000000")[:6])
    except ValueError:
        raise EmulatorError("invalid_ts_oldest") from None


def _in_range(key: tuple[int, int], oldest: tuple[int, int], latest: tuple[int, int] | None, inclusive: bool) -> bool:
    if inclusive:
        return key >= oldest and (latest is None or key <= latest)
    return key > oldest and (latest is None or key < latest)
