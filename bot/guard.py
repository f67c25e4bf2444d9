"""A WSGI guard in front of Bolt: what Bolt cannot parse, or parses and then trips over, gets a 400 at once.

Bolt decodes the body as UTF-8, parses it and reads fields such as ``team.id`` and ``actions[0]``
before any of Triad's code runs; a body that breaks those assumptions would answer 500 (or hang a
listener thread). The guard checks the signature over the raw bytes first (so a forged request
never learns more than 401), then the encoding, the parse and the shapes in ``handlers.payload``,
logs one line for what it refused, and hands everything else to Bolt untouched.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from handlers import payload

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # Slack's largest payloads (a full modal's state) are far below this
MAX_SKEW = 300  # seconds, as Bolt and Slack's own docs use


def guard(slack: WSGIApplication, signing_secret: str, path: str) -> WSGIApplication:
    """Wrap Bolt's WSGI handler for ``path``; every other path passes straight through."""

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(start_response, 400, "bad Content-Length", "?")
        if length > MAX_BODY:
            _discard(environ["wsgi.input"], min(length, 16 * MAX_BODY))  # so the client reads the answer
            return _refuse(start_response, 413, f"body of {length} bytes", "?")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        if not _signed(raw, environ, signing_secret):
            return _answer(start_response, 401, "")  # no log line: Bolt's own check says no more either
        reason, kind = _malformed(raw, environ.get("CONTENT_TYPE"))
        if reason:
            return _refuse(start_response, 400, reason, kind)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
        return slack(environ, start_response)

    return guarded


def _discard(stream: io.BufferedIOBase, length: int) -> None:
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            return
        length -= len(chunk)


def _signed(raw: bytes, environ: WSGIEnvironment, secret: str) -> bool:
    stamp, signature = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""), environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _malformed(raw: bytes, content_type: str | None) -> tuple[str | None, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"body is not UTF-8 ({exc.reason} at byte {exc.start})", "?"
    try:
        body = parse_body(text, content_type)
    except (ValueError, RecursionError) as exc:  # JSON errors are ValueErrors
        return f"body does not parse: {str(exc)[:80]}", "?"
    if payload.has_lone_surrogate(text, body):
        return "a string holds half a UTF-16 surrogate pair", payload.kind_of(body)
    return payload.problem(body), payload.kind_of(body)


def parse_body(body: str, content_type: str | None) -> Any:
    """The body as Bolt parses it (slack_bolt.request.internals.parse_body, which is not Bolt's public API:
    tests/unit/test_guard.py checks the two agree): JSON, an interactivity form's ``payload`` JSON, or a form."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return json.loads(body)
    if "payload" in body:
        payload_json = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
        return json.loads(payload_json) if payload_json is not None else {}
    return dict(parse_qsl(body, keep_blank_values=True))


def _refuse(start_response: StartResponse, status: int, reason: str, kind: str) -> Iterable[bytes]:
    log.warning("refused a malformed Slack request (%s): %s", kind, reason[:200])
    return _answer(start_response, status, json.dumps({"error": "malformed request"}))


def _answer(start_response: StartResponse, status: int, body: str) -> Iterable[bytes]:
    data = body.encode()
    phrase = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}[status]
    start_response(f"{status} {phrase}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
