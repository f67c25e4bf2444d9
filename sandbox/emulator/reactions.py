"""reactions.*: the bot's emoji on a message."""

from __future__ import annotations

from typing import Any

from sandbox.emulator.chat import Chat
from sandbox.emulator.records import EmulatorError
from sandbox.emulator.state import Method
from sandbox.emulator.wire import required


class Reactions(Chat):
    def _web_api(self) -> dict[str, Method]:
        return {**super()._web_api(), "reactions.add": self._reactions_add}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(required(args, "timestamp", error="message_not_found")))
        name = str(required(args, "name", error="invalid_name")).strip(":")
        users = message.reactions.setdefault(name, [])
        if self.bot_user_id in users:
            raise EmulatorError("already_reacted")
        users.append(self.bot_user_id)
        self._emit("reaction_added", channel, self.bot_user_id, message.observed())
        return {}
