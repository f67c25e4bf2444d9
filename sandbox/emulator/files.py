"""files.*: the three-step upload (get an upload URL, send the bytes there, complete), files' info,
and their url_private, which answers the bytes only with the bot token, as Slack does."""

from __future__ import annotations

import mimetypes
import time
from typing import Any, cast
from urllib.parse import quote

from sandbox.emulator.chat import Chat
from sandbox.emulator.faults import Faults
from sandbox.emulator.records import EmulatorError, File
from sandbox.emulator.state import Method
from sandbox.emulator.wire import (
    PROCESSED_THEN_FAILED,
    Reply,
    Request,
    bearer_token,
    int_arg,
    multipart_fields,
    required,
)

# Pseudo-method names under which the upload URL and a file's url_private appear in ``calls`` and can be
# given to ``fail(methods=...)``.
UPLOAD_METHOD = "upload_url"
DOWNLOAD_METHOD = "url_private"
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


class Files(Chat, Faults):
    def _clear_activity(self) -> None:
        super()._clear_activity()
        self._files: dict[str, File] = {}

    def _web_api(self) -> dict[str, Method]:
        return {
            **super()._web_api(),
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    def _route(self, path: str, request: Request) -> Reply | None:
        if path.startswith("/upload/"):
            return self._upload_request(path, request)
        if path.startswith("/files-pri/"):
            return self._download_request(path, request)
        return super()._route(path, request)

    def add_file(self, user_id: str, name: str, content: bytes, mimetype: str) -> dict[str, Any]:
        """Store a file uploaded by a member, as a file_input element would hand it over."""
        with self._changing():
            stored = self._new_file(name, len(content), user_id, mimetype)
            stored.content = bytes(content)
            return stored.to_api()

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes uploaded for a file, or None if nothing was uploaded."""
        with self._cond:
            stored = self._files.get(file_id)
            return stored.content if stored else None

    def _new_file(self, name: str, size: int, user: str, mimetype: str | None = None) -> File:
        file_id = f"F{self._run}{next(self._ids):06d}"
        team = self._caller.id if self._caller else self.team_of(user) or self.team_id
        url = f"{self.origin}/files-pri/{team}-{file_id}/{quote(name)}"
        mime = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = File(file_id, name, name, mime, user, int(time.time()), size, url, team)
        self._files[file_id] = stored
        return stored

    # -- the URLs outside the Web API ---------------------------------------------------------

    def _upload_request(self, path: str, request: Request) -> Reply:
        """The upload URL returned by files.getUploadURLExternal: store the raw bytes."""
        file_id = path.rstrip("/").rpartition("/")[2]
        fault = self._take_fault(UPLOAD_METHOD, None)
        refusal = self._injected_reply(UPLOAD_METHOD, {"file": file_id}, fault)
        if refusal is not None:
            return refusal
        content = _uploaded_bytes(request)
        with self._changing():
            stored = self._files.get(file_id)
            if stored is not None:
                stored.content, stored.size = content, len(content)
            error = None if stored else "file_not_found"
            fault_mode = fault.mode if fault else None
            self._record(UPLOAD_METHOD, {"file": file_id, "size": len(content)}, ok=stored is not None, error=error,
                         fault=fault_mode)
        if fault is not None and fault.mode != "slow":
            return PROCESSED_THEN_FAILED
        return Reply.text(200, f"OK - {len(content)}") if stored else Reply.text(404, "file_not_found")

    def _download_request(self, path: str, request: Request) -> Reply:
        """A file's url_private: the bytes with the bot token of the file's team, Slack's login page without."""
        file_id = path.split("/")[2].rpartition("-")[2]
        fault = self._take_fault(DOWNLOAD_METHOD, None)
        refusal = self._injected_reply(DOWNLOAD_METHOD, {"file": file_id}, fault)
        if refusal is not None:
            return refusal
        token = bearer_token(request.headers)
        with self._changing():
            stored = self._files.get(file_id)
            team = self._teams.get(stored.team_id) if stored else None
            authorised = team is not None and token == team.bot_token
            error = None if stored else "file_not_found"
            if stored and not authorised:
                error = "not_authed"
            self._record(DOWNLOAD_METHOD, {"file": file_id}, ok=error is None, error=error,
                         fault=fault.mode if fault else None)
        if fault is not None and fault.mode != "slow":
            return PROCESSED_THEN_FAILED
        if stored is None:
            return Reply.text(404, "file_not_found")
        if not authorised:  # Slack answers 200 with its HTML sign-in page: check the content type
            return Reply(body=LOGIN_PAGE, content_type="text/html; charset=utf-8")
        return Reply(body=stored.content or b"", content_type=stored.mimetype)

    # -- Web API methods (called with the lock held; args already parsed) -----------------

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(required(args, "filename"))
        size = int_arg(args, "length", -1)
        if size < 0:
            raise EmulatorError("invalid_arguments", ["length is required"])
        if size == 0:  # Slack refuses an empty upload before it hands out a URL
            raise EmulatorError("invalid_arguments", ["length must be at least 1"])
        stored = self._new_file(name, size, self.bot_user_id)
        return {"upload_url": f"{self.origin}/upload/v1/{stored.id}", "file_id": stored.id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Share uploaded files; with a channel, post them there (in a thread if given)."""
        entries = required(args, "files")
        if not isinstance(entries, list) or not entries:
            raise EmulatorError("invalid_arguments", ["files must be a non-empty JSON array"])
        uploaded = [self._uploaded_file(entry) for entry in entries]
        channels = [str(args["channel_id"])] if args.get("channel_id") else []
        channels += [c for c in str(args.get("channels") or "").split(",") if c]
        channels = [self._existing_channel(c) for c in channels]
        for channel in channels:
            for stored in uploaded:
                stored.channels.append(channel)
            self._store_message(
                channel,
                author=self.bot_user_id,
                text=str(args.get("initial_comment") or ""),
                files=[f.to_api() for f in uploaded],
                thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
            )
        return {"files": [f.to_api() for f in uploaded]}

    def _uploaded_file(self, entry: Any) -> File:
        stored = self._files.get(cast(str, entry.get("id"))) if isinstance(entry, dict) else None
        if stored is not None and not self._callers(stored.team_id):  # another workspace's upload: not there
            stored = None
        if stored is None or stored.content is None:
            raise EmulatorError("file_not_found", [f"{entry!r} was not uploaded"])
        if entry.get("title"):
            stored.title = str(entry["title"])
        return stored

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(required(args, "file", error="file_not_found")))
        if stored is None:
            raise EmulatorError("file_not_found")
        return {"file": stored.to_api(), "comments": [], "response_metadata": {"next_cursor": ""}}


def _uploaded_bytes(request: Request) -> bytes:
    """The file content of an upload: the raw body, or the file part of a multipart body."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() == "multipart/form-data":
        parts = [v for v in multipart_fields(content_type, request.body).values() if isinstance(v, bytes)]
        return parts[0] if parts else b""
    return request.body
