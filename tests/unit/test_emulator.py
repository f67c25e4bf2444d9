"""Tests for the Slack Web API emulator, driven through the real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from sandbox.emulator import (
    DOWNLOAD_METHOD,
    RESPONSE_URL_METHOD,
    UPLOAD_METHOD,
    EmulatorError,
    EmulatorEvent,
    SlackEmulator,
)

TOKEN = "xoxb-sandbox"
FAST = FixedValueRetryIntervalCalculator(0.01)  # retry without slack_sdk's default back-off


def make_emulator(**kwargs: Any) -> SlackEmulator:
    emulator = SlackEmulator(**kwargs)
    emulator.add_user("U1", "alice", "Alice Archer", locale="zh-CN", tz="Asia/Shanghai", tz_offset=28800)
    emulator.add_user("U2", "bob", "Bob Baker")
    emulator.add_channel("C1", "quality")
    return emulator


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with make_emulator() as emulator:
        yield emulator


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(base_url=emulator.api_url, token=TOKEN, timeout=3)


def modal(title: str = "Report", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": title}}],
        **extra,
    }


def home(text: str = "Welcome") -> dict[str, Any]:
    return {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def post_json(url: str, payload: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# -- lifecycle and auth ---------------------------------------------------------------------


def test_api_url_and_auth_test(emulator: SlackEmulator, client: WebClient) -> None:
    assert emulator.api_url.startswith("http://127.0.0.1:") and emulator.api_url.endswith("/api/")
    answer = client.auth_test()
    assert answer["user_id"] == "UBOT" and answer["team_id"] == "T0TRIAD" and answer["bot_id"] == "B0TRIAD"


def test_wrong_or_missing_token_is_refused(emulator: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=emulator.api_url, token="xoxb-other").auth_test()
    assert caught.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=emulator.api_url).auth_test()
    assert caught.value.response["error"] == "not_authed"
    assert [c.error for c in emulator.calls] == ["invalid_auth", "not_authed"]


def test_token_may_come_as_a_form_field(emulator: SlackEmulator) -> None:
    answer = WebClient(base_url=emulator.api_url).api_call("auth.test", params={"token": TOKEN})
    assert answer["ok"] and "token" not in emulator.calls[0].args


def test_not_started_emulator_has_no_url() -> None:
    with pytest.raises(RuntimeError):
        _ = SlackEmulator().api_url


def test_unknown_method_is_refused_and_recorded(emulator: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call("chat.scheduleMessage", json={"channel": "C1", "text": "x", "post_at": 1})
    assert caught.value.response["error"] == "unknown_method"
    method, args = emulator.calls[-1]
    assert (method, args["channel"], emulator.calls[-1].ok) == ("chat.scheduleMessage", "C1", False)


# -- messages -------------------------------------------------------------------------------


def test_post_thread_reply_update_delete(emulator: SlackEmulator, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*NC-1*"}}]
    parent = client.chat_postMessage(channel="C1", text="NC-1", blocks=blocks)
    assert parent["channel"] == "C1" and parent["message"]["bot_id"] == "B0TRIAD"
    assert parent["message"]["blocks"][0]["block_id"]  # Slack fills in missing block_ids
    reply = client.chat_postMessage(channel="C1", text="first", thread_ts=parent["ts"])
    nested = client.chat_postMessage(channel="C1", text="second", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == parent["ts"]  # a reply's ts threads under its parent
    assert float(parent["ts"]) < float(reply["ts"]) < float(nested["ts"])

    updated = client.chat_update(channel="C1", ts=parent["ts"], text="NC-1 closed")
    assert updated["message"]["text"] == "NC-1 closed"
    assert updated["message"]["blocks"][0]["text"]["text"] == "*NC-1*"  # parts not given are kept
    assert updated["message"]["edited"]["user"] == "UBOT"

    thread = emulator.thread("C1", parent["ts"])
    assert [m["text"] for m in thread] == ["NC-1 closed", "first", "second"]
    assert thread[0]["reply_count"] == 2 and thread[0]["latest_reply"] == nested["ts"]

    client.chat_delete(channel="C1", ts=nested["ts"])
    assert [m["text"] for m in emulator.thread("C1", parent["ts"])] == ["NC-1 closed", "first"]
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel="C1", ts=nested["ts"], text="gone")
    assert caught.value.response["error"] == "message_not_found"


def test_deleting_a_thread_parent_leaves_a_tombstone(emulator: SlackEmulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    client.chat_delete(channel="C1", ts=parent["ts"])
    assert [(m.get("subtype"), m["text"]) for m in emulator.thread("C1", parent["ts"])] == [
        ("tombstone", "This message was deleted."),
        (None, "reply"),
    ]


def test_unknown_channel_and_thread(client: WebClient) -> None:
    for call in (
        lambda: client.chat_postMessage(channel="C404", text="x"),
        lambda: client.chat_update(channel="U1", ts="1.0", text="x"),  # chat.update needs the D id
    ):
        with pytest.raises(SlackApiError) as caught:
            call()
        assert caught.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x", thread_ts="1.000001")
    assert caught.value.response["error"] == "thread_not_found"


def test_message_needs_content_and_valid_blocks(emulator: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert caught.value.response["error"] == "no_text"
    bad = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x", blocks=bad)
    assert caught.value.response["error"] == "invalid_blocks"
    assert caught.value.response["response_metadata"]["messages"] == ["blocks[0].text: 151 > 150 characters"]
    assert emulator.messages() == []


def test_block_validation_can_be_turned_off(client: WebClient) -> None:
    with make_emulator(validate_blocks=False) as lax:
        lax_client = WebClient(base_url=lax.api_url, token=TOKEN)
        bad = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
        assert lax_client.chat_postMessage(channel="C1", text="x", blocks=bad)["ok"]


def test_dm_by_user_id_and_conversations_open(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="Your action is due")
    opened = client.conversations_open(users="U1")
    assert posted["channel"] == opened["channel"]["id"] == emulator.dm_channel("U1") == "D1"
    assert emulator.dm_user("D1") == "U1"
    emulator.post_as_user("U1", "thanks")
    assert [(m["user"], m["text"]) for m in emulator.dm_messages("U1")] == [
        ("UBOT", "Your action is due"),
        ("U1", "thanks"),
    ]
    info = client.conversations_info(channel="D1")["channel"]
    assert info["is_im"] and info["user"] == "U1"
    with pytest.raises(SlackApiError):
        client.conversations_open(users="U404")


def test_history_is_newest_first_top_level_and_metadata_on_request(
    emulator: SlackEmulator, client: WebClient
) -> None:
    metadata = {"event_type": "nc_raised", "event_payload": {"nc_id": 7}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=metadata)
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    second = client.chat_postMessage(channel="C1", text="two")
    third = client.chat_postMessage(channel="C1", text="three")

    plain = client.conversations_history(channel="C1")
    assert [m["text"] for m in plain["messages"]] == ["three", "two", "one"]
    assert "metadata" not in plain["messages"][2]
    with_metadata = client.conversations_history(channel="C1", include_all_metadata=True)
    assert with_metadata["messages"][2]["metadata"] == metadata

    page = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in page["messages"]] == ["three", "two"] and page["has_more"]
    newer = client.conversations_history(channel="C1", oldest=second["ts"])
    assert [m["ts"] for m in newer["messages"]] == [third["ts"]]
    inclusive = client.conversations_history(channel="C1", oldest=second["ts"], inclusive=True)
    assert len(inclusive["messages"]) == 2
    replies = client.conversations_replies(channel="C1", ts=first["ts"], include_all_metadata=True)
    assert [m["text"] for m in replies["messages"]] == ["one", "reply"]
    assert replies["messages"][0]["metadata"] == metadata
    assert emulator.messages("C1")[0]["metadata"] == metadata  # observation always shows it


def test_invalid_metadata_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x", metadata={"event_type": "x"})
    assert caught.value.response["error"] == "invalid_metadata_format"


def test_ephemeral_permalink_and_reactions(emulator: SlackEmulator, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U2", text="Only you")
    [ephemeral] = emulator.ephemerals("U2")
    assert ephemeral["ts"] == answer["message_ts"] and ephemeral["channel"] == "C1" and ephemeral["is_ephemeral"]
    assert emulator.ephemerals("U1") == [] and emulator.messages() == []

    posted = client.chat_postMessage(channel="C1", text="x")
    permalink = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert permalink == f"https://sandbox.slack/archives/C1/p{posted['ts'].replace('.', '')}"

    client.reactions_add(channel="C1", timestamp=posted["ts"], name="white_check_mark")
    assert emulator.messages("C1")[0]["reactions"] == [{"name": "white_check_mark", "users": ["UBOT"], "count": 1}]
    with pytest.raises(SlackApiError) as caught:
        client.reactions_add(channel="C1", timestamp=posted["ts"], name="white_check_mark")
    assert caught.value.response["error"] == "already_reacted"


def test_users_info_gives_locale_only_when_asked(client: WebClient) -> None:
    user = client.users_info(user="U1", include_locale=True)["user"]
    assert (user["locale"], user["tz"], user["tz_offset"], user["is_bot"]) == ("zh-CN", "Asia/Shanghai", 28800, False)
    assert user["profile"] == {"real_name": "Alice Archer", "display_name": "alice"}
    assert "locale" not in client.users_info(user="U1")["user"]
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="U404")
    assert caught.value.response["error"] == "user_not_found"


def test_form_and_multipart_requests_are_parsed(emulator: SlackEmulator, client: WebClient) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "form"}}])
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "form", "blocks": blocks})
    client.api_call("chat.postMessage", data={"channel": "C1", "text": "multipart"}, files={"file": b"\x00\x01"})
    messages = emulator.messages("C1")
    assert messages[0]["blocks"][0]["text"]["text"] == "form"
    assert messages[1]["text"] == "multipart"
    assert emulator.calls[1].args["file"] == b"\x00\x01"


def test_concurrent_posts_get_unique_increasing_ts(emulator: SlackEmulator, client: WebClient) -> None:
    def post(n: int) -> None:
        for i in range(10):
            client.chat_postMessage(channel="C1", text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m["ts"] for m in emulator.messages("C1")]
    assert len(stamps) == len(set(stamps)) == 60
    assert stamps == sorted(stamps, key=float)


# -- views ----------------------------------------------------------------------------------


def test_views_open_with_a_single_use_trigger(emulator: SlackEmulator, client: WebClient) -> None:
    trigger = emulator.issue_trigger("U1")
    view = client.views_open(trigger_id=trigger, view=modal(callback_id="nc"))["view"]
    assert view["id"].startswith("V") and view["hash"] and view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None and view["state"] == {"values": {}} and view["callback_id"] == "nc"
    assert emulator.open_modal("U1")["id"] == view["id"]
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=modal())
    assert caught.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id="1.2.nope", view=modal())
    assert caught.value.response["error"] == "invalid_trigger_id"


def test_trigger_expires(client: WebClient) -> None:
    with make_emulator(trigger_ttl=0.05) as quick:
        quick_client = WebClient(base_url=quick.api_url, token=TOKEN)
        trigger = quick.issue_trigger("U1")
        time.sleep(0.1)
        with pytest.raises(SlackApiError) as caught:
            quick_client.views_open(trigger_id=trigger, view=modal())
        assert caught.value.response["error"] == "expired_trigger_id"
        assert quick.open_modal("U1") is None


def test_views_push_stacks_three_deep(emulator: SlackEmulator, client: WebClient) -> None:
    root = client.views_open(trigger_id=emulator.issue_trigger("U1"), view=modal("Root"))["view"]
    second = client.views_push(trigger_id=emulator.issue_trigger("U1"), view=modal("Second"))["view"]
    third = client.views_push(trigger_id=emulator.issue_trigger("U1"), view=modal("Third"))["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    assert third["previous_view_id"] == second["id"]
    with pytest.raises(SlackApiError) as caught:
        client.views_push(trigger_id=emulator.issue_trigger("U1"), view=modal("Fourth"))
    assert caught.value.response["error"] == "push_limit_reached"
    assert [v["title"]["text"] for v in emulator.modal_stack("U1")] == ["Root", "Second", "Third"]

    assert emulator.pop_modal("U1")["id"] == third["id"]
    assert emulator.open_modal("U1")["id"] == second["id"]
    emulator.replace_top_modal("U1", modal("Second, edited"))
    assert emulator.open_modal("U1")["id"] == second["id"]
    assert emulator.open_modal("U1")["title"]["text"] == "Second, edited"
    emulator.push_modal("U1", modal("Third again"))
    with pytest.raises(EmulatorError) as refused:
        emulator.push_modal("U1", modal("Fourth"))
    assert refused.value.error == "push_limit_reached"
    emulator.close_modal("U1")
    assert emulator.open_modal("U1") is None and emulator.modal_stack("U1") == []


def test_views_update_checks_hash_and_finds_external_id(emulator: SlackEmulator, client: WebClient) -> None:
    opened = client.views_open(trigger_id=emulator.issue_trigger("U1"), view=modal("Loading", external_id="nc-7"))
    view = opened["view"]
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Loaded", external_id="nc-7"))
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as caught:
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Stale"))
    assert caught.value.response["error"] == "hash_conflict"
    by_external = client.views_update(external_id="nc-7", view=modal("By external id", external_id="nc-7"))
    assert by_external["view"]["title"]["text"] == "By external id"
    with pytest.raises(SlackApiError) as caught:
        client.views_update(view_id="V404", view=modal())
    assert caught.value.response["error"] == "not_found"


def test_invalid_view_is_refused(emulator: SlackEmulator, client: WebClient) -> None:
    trigger = emulator.issue_trigger("U1")
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=modal("A title longer than 24 chars"))
    assert caught.value.response["error"] == "invalid_arguments"
    assert caught.value.response["response_metadata"]["messages"] == ["title: 28 > 24 characters"]
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]  # a refused view leaves the trigger unused


def test_oversized_view_is_refused(emulator: SlackEmulator, client: WebClient) -> None:
    view = modal()
    view["blocks"] = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2600}} for _ in range(100)]
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=emulator.issue_trigger("U1"), view=view)
    assert caught.value.response["error"] == "view_too_large"


def test_views_publish_home(emulator: SlackEmulator, client: WebClient) -> None:
    first = client.views_publish(user_id="U1", view=home("Hello"))["view"]
    assert emulator.home("U1")["blocks"][0]["text"]["text"] == "Hello" and first["type"] == "home"
    second = client.views_publish(user_id="U1", view=home("Again"), hash=first["hash"])["view"]
    assert emulator.home("U1")["hash"] == second["hash"] != first["hash"]
    with pytest.raises(SlackApiError) as caught:
        client.views_publish(user_id="U1", view=home("Stale"), hash=first["hash"])
    assert caught.value.response["error"] == "hash_conflict"
    assert emulator.home("U2") is None


# -- files ----------------------------------------------------------------------------------


def test_files_upload_v2_end_to_end(emulator: SlackEmulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="NC-3")
    uploaded = client.files_upload_v2(
        channel="C1", thread_ts=parent["ts"], content=b"%PDF-1.4 report", filename="nc-3.pdf", title="NC-3 report",
        initial_comment="The report",
    )
    file_id = uploaded["file"]["id"]
    assert emulator.file_content(file_id) == b"%PDF-1.4 report"
    [_, reply] = emulator.thread("C1", parent["ts"])
    assert reply["text"] == "The report" and reply["files"][0]["title"] == "NC-3 report"
    info = client.files_info(file=file_id)["file"]
    assert (info["name"], info["mimetype"], info["size"]) == ("nc-3.pdf", "application/pdf", 15)
    assert info["channels"] == ["C1"]
    assert [c.method for c in emulator.calls[1:]] == [
        "files.getUploadURLExternal", UPLOAD_METHOD, "files.completeUploadExternal", "files.info",
    ]


def test_completing_an_upload_that_did_not_happen_fails(emulator: SlackEmulator, client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.txt", length=3)["file_id"]
    with pytest.raises(SlackApiError) as caught:
        client.files_completeUploadExternal(files=[{"id": file_id, "title": "A"}], channel_id="C1")
    assert caught.value.response["error"] == "file_not_found"


def test_user_file_is_served_with_the_bot_token_only(emulator: SlackEmulator) -> None:
    shared = emulator.add_file("U1", "leak photo.jpg", b"\xff\xd8jpeg", "image/jpeg")
    assert shared["user"] == "U1" and shared["url_private"].startswith(emulator.origin)
    request = urllib.request.Request(shared["url_private"], headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=3) as answer:
        assert (answer.read(), answer.headers["Content-Type"]) == (b"\xff\xd8jpeg", "image/jpeg")
    with urllib.request.urlopen(shared["url_private"], timeout=3) as answer:  # like Slack: a sign-in page
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert [(c.method, c.ok) for c in emulator.calls] == [(DOWNLOAD_METHOD, True), (DOWNLOAD_METHOD, False)]


# -- response_url ---------------------------------------------------------------------------


def test_response_url_posts_in_channel_or_ephemerally(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url("C1", "U1")
    assert post_json(url, {"text": "Only you see this"}) == (200, '{"ok": true}')
    assert post_json(url, {"text": "Everyone sees this", "response_type": "in_channel"})[0] == 200
    assert [e["text"] for e in emulator.ephemerals("U1")] == ["Only you see this"]
    assert [m["text"] for m in emulator.messages("C1")] == ["Everyone sees this"]
    assert [c.method for c in emulator.calls] == [RESPONSE_URL_METHOD] * 2


def test_response_url_replaces_and_deletes_the_original(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="Approve?")
    url = emulator.new_response_url("C1", "U1", message_ts=posted["ts"])
    post_json(url, {"replace_original": True, "text": "Approved by Alice"})
    assert emulator.message("C1", posted["ts"])["text"] == "Approved by Alice"
    post_json(url, {"delete_original": True})
    assert emulator.message("C1", posted["ts"]) is None

    ephemeral_ts = client.chat_postEphemeral(channel="C1", user="U1", text="Pick one")["message_ts"]
    ephemeral_url = emulator.new_response_url("C1", "U1", message_ts=ephemeral_ts)
    post_json(ephemeral_url, {"replace_original": True, "text": "Picked"})
    assert [e["text"] for e in emulator.ephemerals("U1")] == ["Picked"]
    post_json(ephemeral_url, {"delete_original": True})
    assert emulator.ephemerals("U1") == []


def test_response_url_is_limited_to_five_uses(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url("C1", "U1")
    statuses = [post_json(url, {"text": f"{i}"})[0] for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert post_json(emulator.origin + "/actions/T0TRIAD/1/unknown", {"text": "x"})[0] == 404


# -- failure injection ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_raise_without_retry_and_are_retried_with_handler(
    emulator: SlackEmulator, status: str
) -> None:
    emulator.fail(status, count=1)
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=emulator.api_url, token=TOKEN).chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == int(status)

    emulator.fail(status, count=1)
    handler = ServerErrorRetryHandler(interval_calculator=FAST)
    retrying = WebClient(base_url=emulator.api_url, token=TOKEN, retry_handlers=[handler])
    assert retrying.chat_postMessage(channel="C1", text="y")["ok"]
    assert [(c.ok, c.fault) for c in emulator.calls] == [(False, status), (False, status), (True, None)]
    assert [m["text"] for m in emulator.messages()] == ["y"]


def test_rate_limit_sends_retry_after(emulator: SlackEmulator) -> None:
    emulator.fail("429", count=1, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=emulator.api_url, token=TOKEN).auth_test()
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"

    emulator.fail("429", count=1, retry_after=0)
    retrying = WebClient(base_url=emulator.api_url, token=TOKEN, retry_handlers=[RateLimitErrorRetryHandler()])
    assert retrying.auth_test()["ok"]


def test_timeout_hangs_until_healed(emulator: SlackEmulator) -> None:
    emulator.fail("timeout", methods=["chat.postMessage"])
    impatient = WebClient(base_url=emulator.api_url, token=TOKEN, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):  # slack_sdk does not retry timeouts by default
        impatient.chat_postMessage(channel="C1", text="x")
    assert time.monotonic() - started < 3
    assert impatient.auth_test()["ok"]  # other methods are unaffected
    emulator.heal()
    assert impatient.chat_postMessage(channel="C1", text="x")["ok"]


def test_reset_is_retried_once_by_default(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail("reset", count=1)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # ConnectionErrorRetryHandler
    assert [c.fault for c in emulator.calls] == ["reset", None]
    emulator.fail("reset")
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        client.chat_postMessage(channel="C1", text="y")
    emulator.heal()
    assert [m["text"] for m in emulator.messages()] == ["x"]


def test_slack_error_is_answered_without_acting(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail("slack_error:is_archived", count=2, methods={"chat.postMessage"})
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C1", text="x")
        assert caught.value.response["error"] == "is_archived"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(emulator.messages()) == 1


def test_process_then_fail_makes_a_retry_post_twice(emulator: SlackEmulator) -> None:
    emulator.fail("process_then_fail", count=1)
    handler = ServerErrorRetryHandler(interval_calculator=FAST)
    retrying = WebClient(base_url=emulator.api_url, token=TOKEN, retry_handlers=[handler])
    assert retrying.chat_postMessage(channel="C1", text="Audit due")["ok"]
    assert [m["text"] for m in emulator.messages()] == ["Audit due", "Audit due"]
    assert [(c.ok, c.fault) for c in emulator.calls] == [(True, "process_then_fail"), (True, None)]


def test_stored_then_reset_or_hang_keeps_the_message_though_the_caller_hears_nothing(emulator: SlackEmulator) -> None:
    bare = WebClient(base_url=emulator.api_url, token=TOKEN, timeout=2, retry_handlers=[])
    emulator.fail("process_then_reset", count=1)
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        bare.chat_postMessage(channel="C1", text="stored, then reset")
    emulator.fail("process_then_hang", count=1, timeout_sleep=0.2)
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):  # closed without an answer
        bare.chat_postMessage(channel="C1", text="stored, then silence")
    assert [m["text"] for m in emulator.messages()] == ["stored, then reset", "stored, then silence"]


def test_slow_answers_come_late_but_right(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail("slow", count=1, timeout_sleep=0.3)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="late")["ok"]
    assert time.monotonic() - started >= 0.3


def test_faults_can_strike_one_channel_or_a_share_of_calls(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail("slack_error:is_archived", methods=["chat.postMessage"], channels=["U2"])  # Bob's DM only
    assert client.chat_postMessage(channel="C1", text="fine")["ok"]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U2", text="refused")
    emulator.heal()
    emulator.seed_faults(1)
    emulator.fail("slack_error:internal_error", probability=0.25)
    failures = 0
    for _ in range(200):
        try:
            client.auth_test()
        except SlackApiError:
            failures += 1
    assert 25 <= failures <= 75


def test_slacks_limits_are_enforced_per_channel_with_a_burst_and_per_method() -> None:
    from bot.slack_limits import Limits, Rate

    limits = Limits(channel_post=Rate(2.0, 3),
                    methods={"chat.postMessage": Rate(100.0, 100), "chat.update": Rate(1.0, 1)})
    with make_emulator(limits=limits) as limited:
        bare = WebClient(base_url=limited.api_url, token=TOKEN, retry_handlers=[])
        for n in range(3):  # a burst of three is allowed
            bare.chat_postMessage(channel="C1", text=f"burst {n}")
        with pytest.raises(SlackApiError) as caught:
            bare.chat_postMessage(channel="C1", text="too fast")
        assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "1"
        assert bare.chat_postMessage(channel="U1", text="another channel is not limited")["ok"]
        time.sleep(0.55)  # the channel's next slot, at 2 a second
        assert bare.chat_postMessage(channel="C1", text="in time")["ok"]
        ts = limited.messages("C1")[0]["ts"]
        bare.chat_update(channel="C1", ts=ts, text="edited")
        with pytest.raises(SlackApiError):  # chat.update: one a second, workspace-wide
            bare.chat_update(channel="C1", ts=ts, text="edited again")
        assert [c.error for c in limited.calls if not c.ok] == ["ratelimited", "ratelimited"]


def test_unknown_failure_mode_is_refused(emulator: SlackEmulator) -> None:
    for mode in ("404", "slack_error:"):
        with pytest.raises(ValueError):
            emulator.fail(mode)


def test_failures_apply_to_upload_and_response_urls(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail("500", count=1, methods=[UPLOAD_METHOD])
    with pytest.raises(urllib.error.HTTPError):  # the upload URL answers 500; slack_sdk lets it through
        client.files_upload_v2(channel="C1", content=b"x", filename="x.txt")
    emulator.fail("500", count=1, methods=[RESPONSE_URL_METHOD])
    assert post_json(emulator.new_response_url("C1", "U1"), {"text": "x"})[0] == 500
    assert emulator.ephemerals() == []


# -- observation ----------------------------------------------------------------------------


def test_wait_for_returns_the_value_or_times_out(emulator: SlackEmulator, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    found = emulator.wait_for(lambda: emulator.messages("C1"), timeout=3)
    assert found[0]["text"] == "later"
    timer.join()
    with pytest.raises(TimeoutError, match=r"a DM to bob not met within 0.1s; last calls: \[chat.postMessage\(ok\)\]"):
        emulator.wait_for(lambda: emulator.dm_messages("U2"), timeout=0.1, description="a DM to bob")


def test_subscribers_see_visible_changes(emulator: SlackEmulator, client: WebClient) -> None:
    seen: list[EmulatorEvent] = []
    unsubscribe = emulator.subscribe(seen.append)
    posted = client.chat_postMessage(channel="U1", text="hi")
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="hello")
    client.chat_postEphemeral(channel="C1", user="U2", text="psst")
    client.views_open(trigger_id=emulator.issue_trigger("U1"), view=modal())
    client.views_publish(user_id="U2", view=home())
    unsubscribe()
    client.chat_postMessage(channel="C1", text="unseen")
    assert [(e.kind, e.channel, e.user) for e in seen] == [
        ("message_posted", "D1", "UBOT"),
        ("message_updated", "D1", "UBOT"),
        ("ephemeral_posted", "C1", "U2"),
        ("view_opened", None, "U1"),
        ("home_published", None, "U2"),
    ]
    assert seen[1].data["text"] == "hello"


def test_a_failing_subscriber_does_not_break_the_api(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.subscribe(lambda event: 1 / 0)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_reset_keeps_users_and_channels(emulator: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x")
    client.views_open(trigger_id=emulator.issue_trigger("U1"), view=modal())
    emulator.fail("500")
    emulator.reset()
    assert emulator.calls == [] and emulator.messages() == [] and emulator.open_modal("U1") is None
    assert client.chat_postMessage(channel="U1", text="still here")["channel"] == "D1"
    assert emulator.user("U1")["locale"] == "zh-CN" and emulator.channel_name("C1") == "quality"


# -- a second workspace ---------------------------------------------------------------------


def two_teams(emulator: SlackEmulator) -> WebClient:
    """The emulator with Triad installed in a second team, T0OTHER (member U9, channel C9); its client."""
    emulator.add_team("T0OTHER", "xoxb-other", domain="other-plant", name="Other Plant")
    emulator.add_user("U9", "zoe", "Zoe Zhu", team_id="T0OTHER")
    emulator.add_channel("C9", "safety", team_id="T0OTHER")
    return WebClient(base_url=emulator.api_url, token="xoxb-other", timeout=3)


def test_each_teams_token_speaks_for_that_team(emulator: SlackEmulator, client: WebClient) -> None:
    other = two_teams(emulator)
    assert (other.auth_test()["team_id"], other.auth_test()["team"]) == ("T0OTHER", "Other Plant")
    assert client.auth_test()["team_id"] == "T0TRIAD"
    assert [u["id"] for u in other.users_list()["members"]] == ["UBOT", "U9"]
    assert {u["id"] for u in client.users_list()["members"]} == {"UBOT", "U1", "U2"}
    assert other.users_info(user="U9")["user"]["team_id"] == "T0OTHER"
    assert emulator.user("U1")["team_id"] == "T0TRIAD"
    assert (emulator.team_of("U9"), emulator.team_of("D9"), emulator.team_of("C9"), emulator.team_of("C1")) == (
        "T0OTHER", "T0OTHER", "T0OTHER", "T0TRIAD")
    assert emulator.team_of("C404") is None and emulator.team("T0OTHER").domain == "other-plant"


def test_a_team_sees_nothing_of_another(emulator: SlackEmulator, client: WebClient) -> None:
    other = two_teams(emulator)
    posted = other.chat_postMessage(channel="U9", text="hello Zoe")
    assert (posted["channel"], posted["message"]["team"]) == ("D9", "T0OTHER")
    refusals = [
        (lambda: client.chat_postMessage(channel="C9", text="x"), "channel_not_found"),
        (lambda: client.chat_postMessage(channel="U9", text="x"), "channel_not_found"),
        (lambda: client.conversations_history(channel="D9"), "channel_not_found"),
        (lambda: client.users_info(user="U9"), "user_not_found"),
        (lambda: client.conversations_open(users="U9"), "user_not_found"),
        (lambda: client.chat_postEphemeral(channel="C1", user="U9", text="x"), "user_not_in_channel"),
        (lambda: client.views_publish(user_id="U9", view=home()), "user_not_found"),
        (lambda: other.chat_postMessage(channel="C1", text="x"), "channel_not_found"),
    ]
    for call, error in refusals:
        with pytest.raises(SlackApiError) as caught:
            call()
        assert caught.value.response["error"] == error
    assert client.chat_postMessage(channel="C1", text="ours")["message"]["team"] == "T0TRIAD"


def test_a_file_downloads_only_with_its_teams_token(emulator: SlackEmulator) -> None:
    other = two_teams(emulator)
    uploaded = other.files_upload_v2(channel="C9", content=b"photo", filename="p.jpg")["files"][0]
    url = uploaded["url_private"]
    assert "/T0OTHER-" in url

    def download(token: str) -> tuple[str, bytes]:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=3) as answer:
            return answer.headers["Content-Type"], answer.read()

    assert download("xoxb-other") == ("image/jpeg", b"photo")
    assert download(TOKEN)[0].startswith("text/html")  # Slack's sign-in page


def test_teams_need_tokens_of_their_own(emulator: SlackEmulator) -> None:
    with pytest.raises(ValueError, match="token"):
        emulator.add_team("T0OTHER", TOKEN)
    with pytest.raises(ValueError, match="add_team"):
        emulator.add_user("U9", "zoe", "Zoe Zhu", team_id="T0NOPE")
