"""Tests for the signed Slack request driver (sandbox/driver.py).

Most tests point the driver at a small recording server that stands in for the app; the last
ones drive a real slack_bolt App, whose Web API client talks to the emulator.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from sandbox.driver import SentRequest, SlackDriver
from sandbox.emulator import SlackEmulator

SECRET = "sandbox-signing-secret"
TOKEN = "xoxb-sandbox"


class Recorded:
    """One request the stand-in app received."""

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers, self.body = headers, body

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode()))

    def payload(self) -> dict[str, Any]:
        return json.loads(self.form()["payload"])

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class RecordingApp:
    """Stands in for the app: records requests and answers from ``answers`` (default: empty 200)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.answers: list[tuple[int, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                recorder.requests.append(Recorded({k.lower(): v for k, v in self.headers.items()}, body))
                status, answer = recorder.answers.pop(0) if recorder.answers else (200, "")
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if answer else "text/plain")
                self.send_header("Content-Length", str(len(answer.encode())))
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, payload: dict[str, Any] | None = None, status: int = 200) -> None:
        self.answers.append((status, json.dumps(payload) if payload is not None else ""))

    @property
    def last(self) -> Recorded:
        return self.requests[-1]


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user("U1", "alice", "Alice Archer")
        emulator.add_channel("C1", "quality")
        yield emulator


@pytest.fixture
def app() -> Iterator[RecordingApp]:
    recording = RecordingApp()
    yield recording
    recording.server.shutdown()
    recording.server.server_close()


@pytest.fixture
def driver(app: RecordingApp, emulator: SlackEmulator) -> SlackDriver:
    return SlackDriver(app.url, SECRET, emulator)


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(base_url=emulator.api_url, token=TOKEN)


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def option(value: str) -> dict[str, Any]:
    return {"text": plain(value.title()), "value": value}


def open_modal(emulator: SlackEmulator, client: WebClient, view: dict[str, Any], user: str = "U1") -> dict[str, Any]:
    return client.views_open(trigger_id=emulator.issue_trigger(user), view=view)["view"]


def simple_modal(title: str = "Step", **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain(title), "blocks": [{"type": "section", "text": plain(title)}], **extra}


def input_modal() -> dict[str, Any]:
    def block(block_id: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "label": plain(block_id), "optional": optional,
                "element": {"action_id": "value", **element}}

    return {
        "type": "modal",
        "callback_id": "nc_new",
        "private_metadata": "site=1",
        "title": plain("New NC"),
        "submit": plain("Save"),
        "blocks": [
            {"type": "section", "text": plain("Tell us what happened")},
            block("title", {"type": "plain_text_input"}),
            block("count", {"type": "number_input", "is_decimal_allowed": False}, optional=True),
            block("severity", {"type": "static_select", "options": [option("minor"), option("major")]}),
            block("kind", {"type": "radio_buttons", "options": [option("product"), option("process")],
                           "initial_option": option("process")}),
            block("areas", {"type": "checkboxes", "options": [option("press"), option("paint")]}, optional=True),
            block("tags", {"type": "multi_static_select",
                           "option_groups": [{"label": plain("All"), "options": [option("oil"), option("dust")]}]},
                  optional=True),
            block("due", {"type": "datepicker"}, optional=True),
            block("at", {"type": "timepicker", "initial_time": "08:30"}),
            block("owner", {"type": "users_select"}, optional=True),
            block("evidence", {"type": "file_input"}, optional=True),
            {"type": "input", "block_id": "notes", "label": plain("Notes"), "optional": True,
             "element": {"type": "plain_text_input", "action_id": "notes_text", "multiline": True}},
        ],
    }


# -- signing and transport ------------------------------------------------------------------


def test_requests_are_signed_as_slack_signs_them(driver: SlackDriver, app: RecordingApp) -> None:
    verifier = SignatureVerifier(SECRET)
    driver.slash("U1", "/triad", "help")
    driver.event({"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"})
    driver.shortcut("U1", "new_nc")
    for request in app.requests:
        timestamp, signature = request.headers["x-slack-request-timestamp"], request.headers["x-slack-signature"]
        assert abs(int(timestamp) - time.time()) < 5
        assert verifier.is_valid(request.body, timestamp, signature)
        assert not SignatureVerifier("another-secret").is_valid(request.body, timestamp, signature)
    assert [r.headers["content-type"] for r in app.requests] == [
        "application/x-www-form-urlencoded", "application/json", "application/x-www-form-urlencoded",
    ]


def test_send_raw_can_forge_signature_and_timestamp(driver: SlackDriver, app: RecordingApp) -> None:
    response = driver.send_raw(b"command=%2Ftriad", "application/x-www-form-urlencoded",
                               timestamp=1_600_000_000, signature="v0=bad")
    assert response.status == 200 and response.json is None
    assert app.last.headers["x-slack-signature"] == "v0=bad"
    assert app.last.headers["x-slack-request-timestamp"] == "1600000000"
    stale = driver.send_raw(b"x=1", "application/x-www-form-urlencoded", timestamp=1_600_000_000)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1600000000", body=b"x=1")
    assert stale.request.headers["X-Slack-Signature"] == expected  # a stale request is still signed


def test_responses_carry_status_json_and_headers(driver: SlackDriver, app: RecordingApp) -> None:
    app.answer({"text": "hi"})
    app.answer(None, status=401)
    first, second = driver.url_verification("abc"), driver.url_verification("def")
    assert (first.status, first.json, first.headers["Content-Type"]) == (200, {"text": "hi"}, "application/json")
    assert second.status == 401
    assert app.requests[0].json() == {"token": "sandbox-verification-token", "challenge": "abc",
                                      "type": "url_verification"}


# -- slash commands, events, shortcuts ----------------------------------------------------------


def test_slash_command_payload(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                               client: WebClient) -> None:
    driver.slash("U1", "/triad", "nc new", channel_id="C1")
    form = app.last.form()
    assert list(form) == [
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command", "text",
        "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    ]
    assert {k: form[k] for k in ("team_id", "channel_id", "channel_name", "user_id", "user_name", "command", "text",
                                 "api_app_id", "is_enterprise_install")} == {
        "team_id": "T0TRIAD", "channel_id": "C1", "channel_name": "quality", "user_id": "U1", "user_name": "alice",
        "command": "/triad", "text": "nc new", "api_app_id": "A0TRIAD", "is_enterprise_install": "false",
    }
    assert client.views_open(trigger_id=form["trigger_id"], view=simple_modal())["ok"]  # a live trigger
    urllib.request.urlopen(urllib.request.Request(form["response_url"], data=b'{"text": "ok"}', method="POST",
                                                  headers={"Content-Type": "application/json"}), timeout=3)
    assert [(e["channel"], e["text"]) for e in emulator.ephemerals("U1")] == [("C1", "ok")]

    driver.slash("U1", "/triad")
    assert (app.last.form()["channel_id"], app.last.form()["channel_name"]) == ("D1", "directmessage")


def test_unknown_user_is_a_clear_error(driver: SlackDriver) -> None:
    with pytest.raises(LookupError, match="add_user"):
        driver.slash("U404", "/triad")


def test_event_envelope_retry_headers_and_resend(driver: SlackDriver, app: RecordingApp) -> None:
    first = driver.event({"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"}, event_id="Ev01")
    envelope = app.last.json()
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev01"
    assert envelope["team_id"] == "T0TRIAD" and envelope["api_app_id"] == "A0TRIAD"
    assert envelope["event"]["type"] == "app_mention" and envelope["event"]["event_ts"]
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert "x-slack-retry-num" not in app.last.headers

    driver.event({"type": "app_mention"}, retry_num=2, retry_reason="http_error")
    assert (app.last.headers["x-slack-retry-num"], app.last.headers["x-slack-retry-reason"]) == ("2", "http_error")
    assert app.last.json()["event_id"].startswith("Ev") and app.last.json()["event_id"] != "Ev01"

    driver.resend(first)
    assert app.last.body == app.requests[0].body
    assert app.last.headers["x-slack-signature"] == app.requests[0].headers["x-slack-signature"]
    assert app.last.headers["x-slack-retry-num"] == "1"
    assert isinstance(driver.last_request, SentRequest) and driver.last_request.body == first.request.body


def test_dm_records_the_users_message_and_sends_message_im(driver: SlackDriver, app: RecordingApp,
                                                           emulator: SlackEmulator) -> None:
    driver.dm("U1", "new nc: oil on floor")
    event = app.last.json()["event"]
    [stored] = emulator.dm_messages("U1")
    assert (stored["user"], stored["text"], stored["ts"]) == ("U1", "new nc: oil on floor", event["ts"])
    assert (event["type"], event["channel_type"], event["channel"], event["user"]) == ("message", "im", "D1", "U1")
    assert event["blocks"][0]["type"] == "rich_text"


def test_home_opened_includes_the_published_view(driver: SlackDriver, app: RecordingApp, client: WebClient) -> None:
    driver.home_opened("U1")
    assert app.last.json()["event"] == {**app.last.json()["event"], "type": "app_home_opened", "tab": "home",
                                        "user": "U1", "channel": "D1"}
    assert "view" not in app.last.json()["event"]
    published = client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]
    driver.home_opened("U1")
    assert app.last.json()["event"]["view"]["id"] == published["id"]


def test_shortcuts(driver: SlackDriver, app: RecordingApp, client: WebClient) -> None:
    driver.shortcut("U1", "new_nc")
    payload = app.last.payload()
    assert (payload["type"], payload["callback_id"], payload["user"]["id"]) == ("shortcut", "new_nc", "U1")
    assert client.views_open(trigger_id=payload["trigger_id"], view=simple_modal())["ok"]

    message = client.chat_postMessage(channel="C1", text="Oil leak")
    stored = {**message["message"], "channel": "C1"}
    driver.message_shortcut("U1", "nc_from_message", stored)
    payload = app.last.payload()
    assert (payload["type"], payload["message_ts"], payload["channel"]["id"]) == ("message_action", message["ts"], "C1")
    assert payload["message"]["text"] == "Oil leak" and "channel" not in payload["message"]
    assert payload["response_url"].startswith("http://127.0.0.1:")


# -- block actions --------------------------------------------------------------------------


def test_press_button_on_a_message(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                   client: WebClient) -> None:
    blocks = [
        {"type": "section", "text": plain("NC-4"), "accessory": {"type": "button", "text": plain("Open"),
                                                                   "action_id": "open", "value": "4"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "text": plain("Accept"), "action_id": "accept", "value": "4"},
            {"type": "button", "text": plain("Reject"), "action_id": "reject", "value": "4", "style": "danger"},
        ]},
    ]
    posted = client.chat_postMessage(channel="C1", text="NC-4", blocks=blocks)
    [message] = emulator.messages("C1")

    driver.press_button("U1", message, text="Reject")
    payload = app.last.payload()
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U1"
    assert payload["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": "C1",
                                    "is_ephemeral": False}
    assert payload["channel"] == {"id": "C1", "name": "quality"}
    assert payload["message"]["ts"] == posted["ts"] and "channel" not in payload["message"]
    [action] = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "type", "value", "text")} == {
        "action_id": "reject", "block_id": "decide", "type": "button", "value": "4", "text": plain("Reject"),
    }
    assert action["action_ts"] and payload["trigger_id"]

    driver.press_button("U1", message, action_id="open")
    assert app.last.payload()["actions"][0]["block_id"] == message["blocks"][0]["block_id"]  # Slack-generated id
    driver.press_button("U1", message, value="4")
    assert app.last.payload()["actions"][0]["action_id"] == "open"  # the first match

    respond = app.last.payload()["response_url"]
    urllib.request.urlopen(urllib.request.Request(respond, data=b'{"replace_original": true, "text": "Done"}',
                                                  headers={"Content-Type": "application/json"}), timeout=3)
    assert emulator.message("C1", posted["ts"])["text"] == "Done"

    with pytest.raises(LookupError, match="buttons: open 'Open' value='4', accept 'Accept' value='4', reject"):
        driver.press_button("U1", message, text="Escalate")


def test_press_a_select_and_an_ephemeral_button(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                                client: WebClient) -> None:
    select = {"type": "static_select", "action_id": "pick", "placeholder": plain("Pick"),
              "options": [option("minor"), option("major")]}
    client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "actions", "elements": [select]}])
    driver.press("U1", "pick", message=emulator.messages("C1")[0], selected_option="major")
    action = app.last.payload()["actions"][0]
    assert (action["type"], action["selected_option"]) == ("static_select", option("major"))
    with pytest.raises(ValueError, match="no option 'huge'"):
        driver.press("U1", "pick", message=emulator.messages("C1")[0], selected_option="huge")

    button = {"type": "button", "text": plain("Undo"), "action_id": "undo"}
    client.chat_postEphemeral(channel="C1", user="U1", text="x", blocks=[{"type": "actions", "elements": [button]}])
    driver.press_button("U1", emulator.ephemerals("U1")[0], action_id="undo")
    payload = app.last.payload()
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    assert "value" not in payload["actions"][0]


def test_press_in_a_view(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator, client: WebClient) -> None:
    view = simple_modal("Details")
    view["blocks"].append({"type": "actions", "elements": [
        {"type": "button", "text": plain("More"), "action_id": "more", "value": "m"}]})
    opened = open_modal(emulator, client, view)
    driver.press_button("U1", emulator.open_modal("U1"), text="More")
    payload = app.last.payload()
    assert payload["container"] == {"type": "view", "view_id": opened["id"]}
    assert payload["view"]["id"] == opened["id"] and "response_url" not in payload
    assert client.views_push(trigger_id=payload["trigger_id"], view=simple_modal("Pushed"))["ok"]
    with pytest.raises(ValueError):
        driver.press("U1", "more")  # neither message nor view


# -- modal submissions ----------------------------------------------------------------------


def test_submit_builds_slack_state_values(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                          client: WebClient) -> None:
    opened = open_modal(emulator, client, input_modal())
    photo = emulator.add_file("U1", "leak.jpg", b"jpeg", "image/jpeg")
    driver.submit("U1", {
        "title": "Oil leak", "count": 3, "severity": "major", "areas": ["press", "paint"], "tags": ["dust"],
        "due": "2026-03-01", "owner": "U1", "evidence": [photo], "notes_text": "By action_id",
    })
    payload = app.last.payload()
    assert payload["type"] == "view_submission" and payload["response_urls"] == [] and payload["trigger_id"]
    view = payload["view"]
    assert (view["id"], view["hash"], view["callback_id"], view["private_metadata"]) == (
        opened["id"], opened["hash"], "nc_new", "site=1")
    assert view["title"] == plain("New NC") and len(view["blocks"]) == 12
    assert view["state"]["values"] == {
        "title": {"value": {"type": "plain_text_input", "value": "Oil leak"}},
        "count": {"value": {"type": "number_input", "value": "3"}},
        "severity": {"value": {"type": "static_select", "selected_option": option("major")}},
        "kind": {"value": {"type": "radio_buttons", "selected_option": option("process")}},  # initial_option
        "areas": {"value": {"type": "checkboxes", "selected_options": [option("press"), option("paint")]}},
        "tags": {"value": {"type": "multi_static_select", "selected_options": [option("dust")]}},
        "due": {"value": {"type": "datepicker", "selected_date": "2026-03-01"}},
        "at": {"value": {"type": "timepicker", "selected_time": "08:30"}},  # initial_time
        "owner": {"value": {"type": "users_select", "selected_user": "U1"}},
        "evidence": {"value": {"type": "file_input", "files": [photo]}},
        "notes": {"notes_text": {"type": "plain_text_input", "value": "By action_id"}},
    }


def test_untouched_optional_inputs_are_sent_empty(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                                  client: WebClient) -> None:
    open_modal(emulator, client, input_modal())
    driver.submit("U1", {"title": "x", "severity": "minor"})
    values = app.last.payload()["view"]["state"]["values"]
    assert values["count"]["value"]["value"] is None
    assert values["areas"]["value"]["selected_options"] == []
    assert values["due"]["value"]["selected_date"] is None
    assert values["owner"]["value"]["selected_user"] is None
    assert values["evidence"]["value"]["files"] == []


def test_submit_refuses_what_a_user_could_not_do(driver: SlackDriver, emulator: SlackEmulator,
                                                 client: WebClient) -> None:
    with pytest.raises(LookupError):
        driver.submit("U1", {})  # no modal open
    open_modal(emulator, client, input_modal())
    with pytest.raises(ValueError, match="no input for \\['nope'\\]"):
        driver.submit("U1", {"title": "x", "severity": "minor", "nope": 1})
    with pytest.raises(ValueError, match="'severity' is required"):
        driver.submit("U1", {"title": "x"})
    with pytest.raises(ValueError, match="no option 'huge'"):
        driver.submit("U1", {"title": "x", "severity": "huge"})
    assert driver.submit("U1", {"title": "x"}, enforce_required=False).status == 200


def test_submission_answers_act_on_the_modal_stack(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                                   client: WebClient) -> None:
    root = open_modal(emulator, client, simple_modal("Root"))
    client.views_push(trigger_id=emulator.issue_trigger("U1"), view=simple_modal("Pushed"))
    driver.submit("U1", {})  # empty answer: the pushed view closes, back to the root
    assert [v["title"]["text"] for v in emulator.modal_stack("U1")] == ["Root"]

    app.answer({"response_action": "update", "view": simple_modal("Updated")})
    driver.submit("U1", {})
    assert emulator.open_modal("U1")["id"] == root["id"]
    assert emulator.open_modal("U1")["title"]["text"] == "Updated"

    app.answer({"response_action": "push", "view": simple_modal("Confirm")})
    driver.submit("U1", {})
    assert [v["title"]["text"] for v in emulator.modal_stack("U1")] == ["Updated", "Confirm"]

    app.answer({"response_action": "clear"})
    driver.submit("U1", {})
    assert emulator.modal_stack("U1") == []

    open_modal(emulator, client, simple_modal("Again"))
    app.answer({}, status=500)
    assert driver.submit("U1", {}).status == 500
    assert emulator.open_modal("U1") is not None  # Slack shows an error; the modal stays
    driver.submit("U1", {})
    assert emulator.open_modal("U1") is None


def test_errors_answer_keeps_the_modal_open(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                           client: WebClient) -> None:
    open_modal(emulator, client, input_modal())
    app.answer({"response_action": "errors", "errors": {"title": "Too short"}})
    response = driver.submit("U1", {"title": "x", "severity": "minor"})
    assert response.json == {"response_action": "errors", "errors": {"title": "Too short"}}
    assert emulator.open_modal("U1")["callback_id"] == "nc_new"
    app.answer({"response_action": "errors", "errors": {"not_an_input": "x"}})
    with pytest.raises(ValueError, match="not_an_input"):
        driver.submit("U1", {"title": "x", "severity": "minor"})


def test_close_notifies_only_when_asked(driver: SlackDriver, app: RecordingApp, emulator: SlackEmulator,
                                        client: WebClient) -> None:
    open_modal(emulator, client, simple_modal("Quiet"))
    assert driver.close("U1") is None and app.requests == [] and emulator.open_modal("U1") is None

    open_modal(emulator, client, simple_modal("Root", notify_on_close=True))
    client.views_push(trigger_id=emulator.issue_trigger("U1"), view=simple_modal("Top", notify_on_close=True))
    assert driver.close("U1").status == 200
    payload = app.last.payload()
    assert (payload["type"], payload["view"]["title"]["text"], payload["is_cleared"]) == ("view_closed", "Top", False)
    assert emulator.open_modal("U1")["title"]["text"] == "Root"
    assert driver.close("U1", notify=False) is None and len(app.requests) == 1

    open_modal(emulator, client, simple_modal("Root", notify_on_close=True))
    client.views_push(trigger_id=emulator.issue_trigger("U1"),
                      view=simple_modal("Top", notify_on_close=True, clear_on_close=True))
    driver.close("U1")
    assert app.last.payload()["is_cleared"] is True and emulator.modal_stack("U1") == []


# -- against a real Bolt app ----------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def build_bolt_app(client: WebClient) -> App:
    """A tiny Bolt app using the emulator through its WebClient."""
    app = App(client=client, signing_secret=SECRET, token_verification_enabled=False)

    @app.command("/nc")
    def open_form(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": "nc", "title": plain("New NC"), "submit": plain("Save"),
            "blocks": [{"type": "input", "block_id": "title", "label": plain("Title"),
                        "element": {"type": "plain_text_input", "action_id": "value"}}],
        })

    @app.view("nc")
    def save(ack: Any, view: dict[str, Any], client: WebClient) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if len(title) < 3:
            ack(response_action="errors", errors={"title": "At least 3 characters"})
            return
        ack()
        client.chat_postMessage(channel="C1", text=f"NC: {title}", blocks=[
            {"type": "section", "text": plain(f"NC: {title}")},
            {"type": "actions", "elements": [{"type": "button", "text": plain("Close"), "action_id": "close_nc"}]},
        ])

    @app.action("close_nc")
    def close_nc(ack: Any, respond: Any, body: dict[str, Any]) -> None:
        ack()
        respond(replace_original=True, text=f"Closed by <@{body['user']['id']}>")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "section", "text": plain("Your open NCs: 0")}]})

    return app


@pytest.fixture
def bolt(emulator: SlackEmulator, client: WebClient) -> Iterator[SlackDriver]:
    handler = SlackRequestHandler(build_bolt_app(client))
    server = make_server("127.0.0.1", 0, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SlackDriver(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, emulator)
    server.shutdown()
    server.server_close()


def test_a_bolt_app_accepts_the_drivers_requests(bolt: SlackDriver, emulator: SlackEmulator) -> None:
    assert bolt.slash("U1", "/nc").status == 200
    emulator.wait_for(lambda: emulator.open_modal("U1"), description="the NC modal")

    refused = bolt.submit("U1", {"title": "x"})
    assert refused.json == {"response_action": "errors", "errors": {"title": "At least 3 characters"}}
    assert emulator.open_modal("U1") is not None

    assert bolt.submit("U1", {"title": "Oil leak"}).status == 200
    assert emulator.open_modal("U1") is None
    [message] = emulator.wait_for(lambda: emulator.messages("C1"), description="the NC message")
    assert message["text"] == "NC: Oil leak"

    bolt.press_button("U1", message, text="Close")
    emulator.wait_for(lambda: emulator.message("C1", message["ts"])["text"].startswith("Closed"))
    assert emulator.message("C1", message["ts"])["text"] == "Closed by <@U1>"

    bolt.home_opened("U1")
    assert emulator.wait_for(lambda: emulator.home("U1"))["blocks"][0]["text"]["text"] == "Your open NCs: 0"


def test_a_bolt_app_rejects_forged_and_stale_requests(bolt: SlackDriver) -> None:
    body = b"command=%2Fnc&user_id=U1"
    assert bolt.send_raw(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64).status == 401
    assert bolt.send_raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600).status == 401
    assert bolt.url_verification("challenge-1").json == {"challenge": "challenge-1"}


# -- a second workspace ---------------------------------------------------------------------


def test_requests_come_from_the_acting_members_team(driver: SlackDriver, app: RecordingApp,
                                                   emulator: SlackEmulator) -> None:
    emulator.add_team("T0OTHER", "xoxb-other", domain="other-plant")
    emulator.add_user("U9", "zoe", "Zoe Zhu", team_id="T0OTHER")
    emulator.add_channel("C9", "safety", team_id="T0OTHER")
    driver.slash("U9", "/triad", channel_id="C9")
    assert (app.last.form()["team_id"], app.last.form()["team_domain"]) == ("T0OTHER", "other-plant")
    driver.dm("U9", "hello")
    envelope = app.last.json()
    assert (envelope["team_id"], envelope["authorizations"][0]["team_id"], envelope["event"]["team"]) == (
        "T0OTHER", "T0OTHER", "T0OTHER")
    driver.shortcut("U9", "report")
    assert app.last.payload()["team"] == {"id": "T0OTHER", "domain": "other-plant"}
    assert app.last.payload()["user"]["team_id"] == "T0OTHER"
    driver.slash("U1", "/triad")
    assert app.last.form()["team_id"] == "T0TRIAD"
    pinned = SlackDriver(app.url, SECRET, emulator, team_id="T0PINNED")
    pinned.slash("U9", "/triad")
    assert app.last.form()["team_id"] == "T0PINNED"
