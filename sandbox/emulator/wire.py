"""Requests as they come off the wire and replies as they go back: the arguments of a Web API call
(query string, JSON, form or multipart, as slack_sdk sends them) and Slack's way of reading them."""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlsplit

from sandbox.emulator.records import EmulatorError

# Arguments that slack_sdk sends as JSON-encoded strings when it sends a form.
JSON_ARGS = ("blocks", "attachments", "metadata", "view", "files")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What to do with a request: answer it, close the socket silently, or reset it."""

    action: Literal["answer", "close", "reset"] = "answer"
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Mapping[str, Any], headers: dict[str, str] | None = None) -> Reply:
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=headers or {})

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
        return cls(status=status, body=text.encode("utf-8"), content_type=content_type)


PROCESSED_THEN_FAILED = Reply.text(500, "error")


def request_args(request: Request) -> dict[str, Any]:
    """The call's arguments from query string and body (JSON, form or multipart)."""
    args: dict[str, Any] = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if request.body and media_type == "application/json":
        try:
            body = json.loads(request.body)
        except ValueError:
            raise EmulatorError("invalid_json") from None
        if not isinstance(body, dict):
            raise EmulatorError("invalid_json")
        args.update(body)
    elif request.body and media_type == "multipart/form-data":
        args.update(multipart_fields(content_type, request.body))
    elif request.body:
        try:
            args.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise EmulatorError("invalid_form_data") from None
    for key in JSON_ARGS:
        if isinstance(args.get(key), str) and args[key]:
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                raise EmulatorError("invalid_arguments", [f"{key} is not valid JSON"]) from None
    return args


def multipart_fields(content_type: str, body: bytes) -> dict[str, str | bytes]:
    """Form fields of a multipart body; file parts stay bytes."""
    document = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(document)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = cast(bytes, part.get_payload(decode=True) or b"")
        if isinstance(name, str):
            fields[name] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def required(args: Mapping[str, Any], name: str, *, error: str = "invalid_arguments") -> Any:
    value = args.get(name)
    if value is None or value == "":
        raise EmulatorError(error, [f"missing required field: {name}"])
    return value


def flag(args: Mapping[str, Any], name: str) -> bool:
    """A boolean argument as JSON (true) or as slack_sdk's forms send it ("1", "true")."""
    value = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def int_arg(args: Mapping[str, Any], name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EmulatorError("invalid_arguments", [f"{name} must be an integer"]) from None
