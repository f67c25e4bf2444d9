"""chat.*: messages, threads, edits and ephemerals, as Slack stores and refuses them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from bot import blockkit
from sandbox.emulator.blocks import with_generated_ids
from sandbox.emulator.records import PERMALINK_HOST, EmulatorError, Ephemeral, Message
from sandbox.emulator.state import Method, Workspace
from sandbox.emulator.wire import required


class Chat(Workspace):
    """Channels' and DMs' messages (thread replies included) and the ephemerals shown to one member."""

    def _clear_activity(self) -> None:
        super()._clear_activity()
        self._messages: dict[tuple[str, str], Message] = {}  # insertion order = posting order
        self._ephemerals: list[Ephemeral] = []

    def _web_api(self) -> dict[str, Method]:
        return {
            **super()._web_api(),
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
        }

    # -- what members do ------------------------------------------------------------------

    def post_as_user(
        self, user_id: str, text: str, channel_id: str | None = None, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Record a message written by a member (default: in their DM with the bot)."""
        with self._changing():
            channel = self._existing_channel(channel_id or self.dm_channel(user_id))
            message = self._store_message(channel, author=user_id, text=text, thread_ts=thread_ts, from_bot=False)
            return message.observed()

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message as a member would (e.g. a thread's parent, to see what replies do then)."""
        with self._changing():
            self._delete_message(self._find_message(self._resolved_channel(channel), ts))

    # -- observation ----------------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages (thread replies included), oldest first, each with its channel."""
        with self._cond:
            return [m.observed() for m in self._messages.values() if channel is None or m.channel == channel]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current version of one message (or ephemeral), or None once deleted."""
        with self._cond:
            stored = self._messages.get((channel, ts))
            if stored is not None:
                return stored.observed()
            return next((e.observed() for e in self._ephemerals if e.channel == channel and e.ts == ts), None)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's parent followed by its replies, oldest first."""
        with self._cond:
            parent = self._thread_parent(channel, ts)
            return [parent.observed()] + [self._messages[(channel, reply)].observed() for reply, _ in parent.replies]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        """Both sides of the user's DM with the bot, oldest first."""
        return self.messages(self.dm_channel(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages shown (to ``user_id``), oldest first."""
        with self._cond:
            return [e.observed() for e in self._ephemerals if user_id is None or e.recipient == user_id]

    # -- helpers on state (call with the lock held) ---------------------------------------

    def _find_message(self, channel: str, ts: str) -> Message:
        message = self._messages.get((channel, ts))
        if message is None:
            raise EmulatorError("message_not_found")
        return message

    def _thread_parent(self, channel: str, ts: str) -> Message:
        message = self._messages.get((channel, ts))
        if message is None:
            raise EmulatorError("thread_not_found")
        if message.thread_ts is not None and message.thread_ts != message.ts:
            return self._messages[(channel, message.thread_ts)]
        return message

    def _content(self, args: Mapping[str, Any]) -> tuple[str, list[Any] | None, list[Any] | None]:
        """Text, blocks and attachments of a message, refused as Slack refuses them."""
        text = args.get("text")
        text = "" if text is None else str(text)
        blocks, attachments = args.get("blocks") or None, args.get("attachments") or None
        if not text and not blocks and not attachments:
            raise EmulatorError("no_text")
        if len(text) > blockkit.MESSAGE_TEXT_MAX:
            raise EmulatorError("msg_too_long")
        if blocks is not None:
            if self.validate_blocks:
                found = blockkit.problems({"blocks": blocks}, "message")
                if found:
                    raise EmulatorError("invalid_blocks", found)
            blocks = with_generated_ids(blocks)
        return text, blocks, attachments

    def _store_message(
        self,
        channel: str,
        *,
        author: str,
        text: str,
        blocks: list[Any] | None = None,
        attachments: list[Any] | None = None,
        files: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        from_bot: bool = True,
    ) -> Message:
        """Post a message; a thread_ts of a reply threads under that reply's parent, as in Slack.

        Unlike Slack, an unknown thread_ts is refused (thread_not_found) so that tests notice.
        """
        parent = self._thread_parent(channel, thread_ts) if thread_ts else None
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            user=author,
            team=self.team_of(channel) or self.team_id,
            text=text,
            blocks=blocks,
            attachments=attachments,
            files=files,
            metadata=copy.deepcopy(metadata),
            thread_ts=parent.ts if parent else None,
            bot_id=self.bot_id if from_bot else None,
            app_id=self.app_id if from_bot else None,
        )
        self._messages[(channel, message.ts)] = message
        if parent is not None:
            parent.replies.append((message.ts, author))
        self._emit("message_posted", channel, author, message.observed())
        return message

    def _delete_message(self, message: Message) -> None:
        """Delete a message; a thread parent with replies stays as a tombstone, as in Slack."""
        if message.replies:
            message.text, message.subtype = "This message was deleted.", "tombstone"
            message.blocks = message.attachments = message.files = None
        else:
            del self._messages[(message.channel, message.ts)]
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self._messages[(message.channel, message.thread_ts)]
            parent.replies = [(ts, user) for ts, user in parent.replies if ts != message.ts]
        self._emit("message_deleted", message.channel, message.user, message.observed())

    def _post_ephemeral(self, channel: str, recipient: str, args: Mapping[str, Any]) -> Ephemeral:
        text, blocks, attachments = self._content(args)
        thread_ts = args.get("thread_ts")
        ephemeral = Ephemeral(channel, recipient, self._next_ts(), self.bot_user_id, text, blocks, attachments,
                              str(thread_ts) if thread_ts else None)
        self._ephemerals.append(ephemeral)
        self._emit("ephemeral_posted", channel, recipient, ephemeral.observed())
        return ephemeral

    # -- Web API methods (called with the lock held; args already parsed) -----------------

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(str(required(args, "channel", error="channel_not_found")))
        text, blocks, attachments = self._content(args)
        message = self._store_message(
            channel,
            author=self.bot_user_id,
            text=text,
            blocks=blocks,
            attachments=attachments,
            metadata=_metadata_arg(args),
            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
        )
        return {"channel": channel, "ts": message.ts, "message": message.to_api(with_metadata=True)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace the given parts; parts not given are kept, as Slack does."""
        channel = self._existing_channel(str(required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(required(args, "ts", error="message_not_found")))
        if message.bot_id != self.bot_id:
            raise EmulatorError("cant_update_message")
        merged = {
            "text": args.get("text", message.text),
            "blocks": args.get("blocks", message.blocks),
            "attachments": args.get("attachments", message.attachments),
        }
        message.text, message.blocks, message.attachments = self._content(merged)
        if "metadata" in args:
            message.metadata = _metadata_arg(args)
        message.edited = {"user": self.bot_user_id, "ts": self._next_ts()}
        data = message.to_api(with_metadata=True)
        self._emit("message_updated", channel, message.user, message.observed())
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": data}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(required(args, "ts", error="message_not_found")))
        if message.bot_id != self.bot_id:
            raise EmulatorError("cant_delete_message")
        self._delete_message(message)
        return {"channel": channel, "ts": message.ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(str(required(args, "channel", error="channel_not_found")))
        user = str(required(args, "user", error="user_not_in_channel"))
        if self._member(user) is None:
            raise EmulatorError("user_not_in_channel")
        return {"message_ts": self._post_ephemeral(channel, user, args).ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._existing_channel(str(required(args, "channel", error="channel_not_found")))
        message = self._find_message(channel, str(required(args, "message_ts", error="message_not_found")))
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}


def _metadata_arg(args: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata = args.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str) \
            or not isinstance(metadata.get("event_payload"), dict):
        raise EmulatorError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}
