"""The closed loop through signed requests and the Slack emulator, as the people of the demo plant live it."""
from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import audit
from sandbox.emulator import interactive_elements
from storage.models import Base, Report, ReportStatus

WORKER, SUPERVISOR, QUALITY, ENVIRONMENT, SAFETY, MANAGER = "U0ZHANG", "U0LI", "U0CHEN", "U0WANG", "U0LIU", "U0ZHAO"


# --- what people see ------------------------------------------------------------------------------

def dumped(message) -> str:
    return json.dumps(message, ensure_ascii=False)


def buttons(message) -> list[str]:
    return [e["action_id"] for _, e in interactive_elements(message.get("blocks") or []) if e.get("type") == "button"]


def card(h, channel: str = "C0STAMP") -> dict:
    """The latest report card in a channel, as it is now."""
    h.deliver()
    cards = [m for m in h.emulator.messages(channel) if any(b.get("block_id", "").startswith("triage:")
                                                            for b in m.get("blocks") or [])]
    assert cards, f"no report card in {channel}"
    return cards[-1]


def thread_text(h, message) -> str:
    h.deliver()
    return dumped(h.emulator.thread(message["channel"], message["ts"])[1:])


def dm_with(h, user: str, action_id: str) -> dict:
    h.deliver()
    found = [m for m in h.emulator.dm_messages(user) if action_id in buttons(m)]
    assert found, f"no DM to {user} with {action_id}"
    return found[-1]


def action_card(h, user: str) -> dict:
    h.deliver()
    return [m for m in h.emulator.dm_messages(user) if m.get("text", "").startswith(("Action", "您有一项措施"))][0]


def dm_text(h, user: str) -> str:
    h.deliver()
    return dumped(h.emulator.dm_messages(user))


def ephemeral_text(h, user: str) -> str:
    h.deliver()
    return dumped(h.emulator.ephemerals(user))


def report_row(h) -> Report:
    with h.db.session() as s:
        return s.scalars(select(Report).order_by(Report.id.desc())).first()


def eventually(h, check, what: str, timeout: float = 10.0):
    """Deliver what is owed and look again until ``check()`` holds: outside the emulator's lock, since
    delivering calls the emulator (``wait_for`` predicates run under it)."""
    deadline = time.monotonic() + timeout
    while True:
        h.deliver()
        found = check()
        if found or time.monotonic() > deadline:
            assert found, f"{what}: not seen within {timeout}s"
            return found
        time.sleep(0.05)


def answer_to_dm(h, user: str, words: str) -> dict:
    """Write to Triad and wait for its answer (events are handled after their ack)."""
    h.driver.dm(user, words)
    asked = [m for m in h.emulator.dm_messages(user) if m.get("user") == user][-1]["ts"]

    def answered():
        newer = [m for m in h.emulator.dm_messages(user) if m["ts"] > asked and m.get("user") != user]
        return newer[-1] if newer else None
    return eventually(h, answered, f"Triad's answer to {user}")


def modal(h, user: str) -> dict:
    """The modal a listener opens after its ack (the HTTP answer comes first)."""
    return h.emulator.wait_for(lambda: h.emulator.open_modal(user), description=f"a modal for {user}")


def file_report(h, user: str = WORKER, text: str = "hazard guard missing on press 3", **values):
    assert h.driver.slash(user, "/report", text).status == 200
    modal(h, user)
    return h.driver.submit(user, values)


def triage_form(h, user: str, message, action_id: str, values: dict):
    h.driver.press_button(user, message, action_id=action_id)
    modal(h, user)
    return h.driver.submit(user, values)


# --- the whole loop -------------------------------------------------------------------------------

def test_worker_reports_supervisor_triages_owner_fixes_verifier_closes_and_reporter_hears(harness):
    h = harness
    assert h.driver.slash(WORKER, "/report", "隐患 3号压机防护罩缺失").status == 200
    form = modal(h, WORKER)
    assert form["title"]["text"] == "上报问题"
    photo = h.emulator.add_file(WORKER, "guard.jpg", b"\xff\xd8 a photo", "image/jpeg")
    assert h.driver.submit(WORKER, {"photos": [photo]}).json is None  # kind and words pre-filled: one submit
    assert h.emulator.open_modal(WORKER) is None

    report = card(h)
    reference = report_row(h).reference
    assert reference.startswith("HZ-") and "3号压机防护罩缺失" in dumped(report)
    assert f"<{photo['permalink']}|guard.jpg>" in dumped(report)
    assert "<@U0LIU>" in thread_text(h, report)  # the safety owner is called into the thread
    assert reference in dumped(h.emulator.messages("C0SAFETY"))
    assert reference in dm_text(h, WORKER) and "谢谢" in dm_text(h, WORKER)  # the receipt, in Chinese

    h.driver.press_button(SUPERVISOR, report, action_id="report_acknowledge")
    assert "In triage" in dumped(card(h)) and "report_acknowledge" not in buttons(card(h))
    triage_form(h, SUPERVISOR, card(h), "report_assess", {"likelihood": "3", "severity": "3"})
    assert ":large_yellow_circle: Medium / 一般风险（黄色） · 3 × 3" in dumped(card(h))  # a mixed channel
    triage_form(h, SUPERVISOR, card(h), "report_assign", {"type": "corrective", "control": "engineering",
                                                          "description": "Refit the guard with an interlock",
                                                          "owner": WORKER})
    assert "Refit the guard" in thread_text(h, report)

    h.driver.press_button(WORKER, dm_with(h, WORKER, "action_done"), action_id="action_done")
    modal(h, WORKER)
    assert h.driver.submit(WORKER, {}).json["errors"] == {"note": "完成措施需要证据：说明、照片或两者皆可。"}
    h.driver.submit(WORKER, {"note": "已安装联锁防护罩"})
    assert "action_done" not in buttons(action_card(h, WORKER))  # the owner's card follows the action

    h.driver.press_button(SUPERVISOR, dm_with(h, SUPERVISOR, "action_verify"), action_id="action_verify")
    closed = card(h)
    assert "Closed" in dumped(closed) and buttons(closed) == ["report_schedule_check", "report_timeline"]
    assert "报告已关闭" in dm_text(h, WORKER)
    assert "采取的措施" in dm_text(h, WORKER)  # the outcome: what was done about it
    assert report_row(h).status == ReportStatus.CLOSED

    h.driver.slash(WORKER, "/report", f"status {reference}")
    timeline = ephemeral_text(h, WORKER)
    assert "处理记录" in timeline and "<@U0LI>" in timeline




# --- anonymity ------------------------------------------------------------------------------------

def tables_mentioning(h, slack_id: str, person_id: int) -> list[str]:
    """Tables holding the person's Slack id anywhere, or pointing at them from a report's rows."""
    found = []
    with h.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("person", "role_assignment"):
                continue
            person_columns = [c.name for c in table.columns
                              if any(fk.column.table.name == "person" for fk in c.foreign_keys)]
            if table.name == "evidence_entry":  # the log names people by id, with no foreign key
                person_columns = ["actor_id"]
            for row in conn.execute(table.select()).mappings():
                if table.name == "evidence_entry" and row["domain"] == "org":
                    continue  # the organisation's own record: who holds which role, as role_assignment does
                if slack_id in repr(dict(row)) or any(row[c] == person_id for c in person_columns):
                    found.append(table.name)
    return sorted(set(found))


def person_row(h, slack_id: str) -> dict:
    person = Base.metadata.tables["person"]
    with h.db.engine.connect() as conn:
        return dict(conn.execute(person.select().where(person.c.slack_user_id == slack_id)).mappings().one())


def audit_count(h) -> int:
    with h.db.session() as s:
        return len(audit.decisions(s))


def test_an_anonymous_reporter_follows_and_answers_with_a_code_and_leaves_no_trace(harness, clock):
    h = harness
    h.driver.slash(WORKER, "/report", "near miss forklift nearly hit me in the dock")
    modal(h, WORKER)
    person, audit_rows = person_row(h, WORKER), audit_count(h)
    clock.advance(timedelta(days=8))  # Zhang's profile is due for a refresh: filing must not be the moment
    answer = h.driver.submit(WORKER, {"anonymous": ["yes"]})
    assert person_row(h, WORKER) == person and audit_count(h) == audit_rows  # not written, not touched
    filed_at = report_row(h).created_at
    assert (filed_at.minute, filed_at.second, filed_at.microsecond) == (0, 0, 0)  # not the second they sent it
    code = re.search(r"\*([A-Z2-9]{4}-[A-Z2-9]{4})\*", dumped(answer.json["view"])).group(1)
    assert code in dumped(h.emulator.open_modal(WORKER))  # shown once, on screen
    report = card(h, "C0TRIAGE")  # the dock names no department, and Zhang's own would point at him
    assert "Reporter (anonymous)" in dumped(report) and WORKER not in dumped(report)
    assert "谢谢" not in dm_text(h, WORKER)  # no receipt DM: nothing in Slack pairs them with it

    triage_form(h, SAFETY, report, "report_ask", {"text": "Which shift was it?"})
    h.driver.slash(WORKER, "/report", f"follow {code.lower()}")
    eventually(h, lambda: "Which shift was it?" in ephemeral_text(h, WORKER), "the timeline")
    h.driver.slash(WORKER, "/report", f"follow {code} Night shift, around 2 am")
    thread = thread_text(h, report)
    assert "Reporter (anonymous)" in thread and "Night shift, around 2 am" in thread and WORKER not in thread

    h.driver.slash(WORKER, "/report", "follow AAAA-BBBB")
    assert "该跟进码没有对应的报告" in ephemeral_text(h, WORKER)
    with h.db.session() as s:
        zhang_id = s.scalar(select(Base.metadata.tables["person"].c.id).where(
            Base.metadata.tables["person"].c.slack_user_id == WORKER))
    assert tables_mentioning(h, WORKER, zhang_id) == []


def test_an_anonymous_incident_is_refused_inline(harness):
    h = harness
    answer = file_report(h, WORKER, "incident cut my hand", anonymous=["yes"], injury_class="first_aid")
    assert set(answer.json["errors"]) == {"anonymous"}
    assert "匿名" in answer.json["errors"]["anonymous"]
    assert report_row(h) is None


# --- who may press what ---------------------------------------------------------------------------

TRIAGE_BUTTONS = ("report_acknowledge", "report_assess", "report_assign", "report_reject", "report_escalate",
                  "report_root_cause", "report_ask")


@pytest.mark.parametrize("who", [WORKER, QUALITY, ENVIRONMENT])
def test_each_triage_button_is_refused_to_people_without_the_role(harness, who):
    h = harness
    file_report(h)  # a safety hazard in stamping: its supervisor, the safety owner and managers triage it
    report = card(h)
    for action_id in TRIAGE_BUTTONS:
        h.driver.press_button(who, report, action_id=action_id)
    h.deliver()
    refusals = h.emulator.wait_for(lambda: [e for e in h.emulator.ephemerals(who)] if len(
        h.emulator.ephemerals(who)) >= len(TRIAGE_BUTTONS) else None)
    assert len(refusals) == len(TRIAGE_BUTTONS)
    assert all(("Sorry, only" in dumped(e) or "抱歉，只有" in dumped(e)) for e in refusals)
    assert h.emulator.open_modal(who) is None
    assert report_row(h).status == ReportStatus.NEW and card(h)["blocks"] == report["blocks"]
    with h.db.session() as s:
        refused = sum(not d.allowed for d in audit.decisions(s))
    assert refused == len(TRIAGE_BUTTONS)


def test_stale_buttons_a_closed_report_and_unknown_references_get_a_clear_answer(harness):
    h = harness
    file_report(h)
    triage_form(h, SUPERVISOR, card(h), "report_assign", {"type": "correction", "description": "Put the guard back",
                                                          "owner": WORKER})
    h.driver.press_button(WORKER, dm_with(h, WORKER, "action_done"), action_id="action_done")
    modal(h, WORKER)
    h.driver.submit(WORKER, {"note": "放回去了"})
    verify = dm_with(h, SUPERVISOR, "action_verify")
    h.driver.press_button(SUPERVISOR, verify, action_id="action_verify")
    assert report_row(h).status == ReportStatus.CLOSED
    events = len(h.emulator.thread(card(h)["channel"], card(h)["ts"]))

    h.deliver()
    assert "action_verify" not in buttons(h.emulator.message(verify["channel"], verify["ts"]))  # the DM card settled
    h.driver.press_button(SUPERVISOR, verify, action_id="action_verify", as_seen=True)  # a client not yet updated
    assert "is closed: nothing was changed" in h.emulator.wait_for(
        lambda: ephemeral_text(h, SUPERVISOR) if h.emulator.ephemerals(SUPERVISOR) else None)
    assert len(h.emulator.thread(card(h)["channel"], card(h)["ts"])) == events

    h.driver.slash(SUPERVISOR, "/report", "status HZ-1999-0001")
    assert "can't find a report HZ-1999-0001" in h.emulator.wait_for(
        lambda: ephemeral_text(h, SUPERVISOR) if len(h.emulator.ephemerals(SUPERVISOR)) > 1 else None)


# --- several standards ----------------------------------------------------------------------------

def test_each_tagged_systems_owner_signs_off_before_it_closes(harness):
    h = harness
    file_report(h, WORKER, "environment oil leaking onto the walkway at press 3",
                standards=["iso14001", "iso45001"])
    report = card(h)
    assert "<@U0WANG>" in thread_text(h, report) and "<@U0LIU>" in thread_text(h, report)
    assert report_row(h).reference in dumped(h.emulator.messages("C0ENV"))
    triage_form(h, ENVIRONMENT, report, "report_assign",
                {"type": "containment", "description": "Absorb and fix the seal", "owner": SUPERVISOR})
    h.driver.press_button(SUPERVISOR, dm_with(h, SUPERVISOR, "action_done"), action_id="action_done")
    modal(h, SUPERVISOR)
    h.driver.submit(SUPERVISOR, {"note": "Seal replaced, floor cleaned"})
    h.driver.press_button(ENVIRONMENT, dm_with(h, ENVIRONMENT, "action_verify"), action_id="action_verify")
    waiting = card(h)
    assert "report_sign_off" in buttons(waiting) and "Safety" in dumped(waiting)
    h.driver.press_button(QUALITY, waiting, action_id="report_sign_off")
    assert "Sorry, only" in h.emulator.wait_for(
        lambda: ephemeral_text(h, QUALITY) if h.emulator.ephemerals(QUALITY) else None)
    h.driver.press_button(ENVIRONMENT, waiting, action_id="report_sign_off")
    assert report_row(h).status == ReportStatus.CLOSING
    h.driver.press_button(SAFETY, card(h), action_id="report_sign_off")
    assert report_row(h).status == ReportStatus.CLOSED
    assert "signed off for Safety" in thread_text(h, report)


def test_a_fully_verified_report_offers_sign_off_only_and_stale_sign_off_asks_say_what_happened(harness):
    h = harness
    file_report(h, WORKER, "environment oil leaking onto the walkway at press 3",
                standards=["iso14001", "iso45001"])
    triage_form(h, ENVIRONMENT, card(h), "report_assign",
                {"type": "containment", "description": "Absorb and fix the seal", "owner": SUPERVISOR})
    h.driver.press_button(SUPERVISOR, dm_with(h, SUPERVISOR, "action_done"), action_id="action_done")
    modal(h, SUPERVISOR)
    h.driver.submit(SUPERVISOR, {"note": "Seal replaced, floor cleaned"})
    h.driver.press_button(ENVIRONMENT, dm_with(h, ENVIRONMENT, "action_verify"), action_id="action_verify")
    waiting = card(h)
    assert "report_sign_off" in buttons(waiting)
    assert "report_assess" not in buttons(waiting) and "report_assign" not in buttons(waiting)
    wang_ask, liu_ask = dm_with(h, ENVIRONMENT, "report_sign_off"), dm_with(h, SAFETY, "report_sign_off")

    h.driver.press_button(ENVIRONMENT, wang_ask, action_id="report_sign_off")  # from the DM itself
    h.deliver()
    wang_now = h.emulator.message(wang_ask["channel"], wang_ask["ts"])
    assert buttons(wang_now) == [] and "sign-off" in dumped(wang_now)  # what it asked, and what remains
    assert "report_sign_off" in buttons(h.emulator.message(liu_ask["channel"], liu_ask["ts"]))  # Liu's still stands

    h.driver.press_button(SAFETY, card(h), action_id="report_sign_off")  # from the card: his DM is stale now
    h.deliver()
    liu_now = h.emulator.message(liu_ask["channel"], liu_ask["ts"])
    assert buttons(liu_now) == [] and ("Closed" in dumped(liu_now) or "已关闭" in dumped(liu_now))
    closed = card(h)
    assert "report_assess" not in buttons(closed) and "report_assign" not in buttons(closed)
    h.driver.press_button(ENVIRONMENT, wang_ask, action_id="report_sign_off", as_seen=True)  # an old client
    assert "is closed: nothing was changed" in h.emulator.wait_for(
        lambda: ephemeral_text(h, ENVIRONMENT) if h.emulator.ephemerals(ENVIRONMENT) else None)


# --- time -----------------------------------------------------------------------------------------

def test_an_overdue_action_is_reminded_then_escalated_to_the_supervisor(harness):
    h = harness
    file_report(h)
    report = card(h)
    triage_form(h, SAFETY, report, "report_assess", {"likelihood": "5", "severity": "4"})  # critical: due tomorrow
    triage_form(h, SAFETY, card(h), "report_assign", {"type": "containment", "description": "Fence off press 3",
                                                      "owner": WORKER})
    h.advance(timedelta(days=2, hours=1))
    assert ":alarm_clock:" in dm_text(h, WORKER) and "Fence off press 3" in dm_text(h, WORKER)
    assert "reminded" in thread_text(h, report)
    assert "overdue" not in dm_text(h, SUPERVISOR)
    h.advance(timedelta(days=2))
    assert "overdue" in dm_text(h, SUPERVISOR) and "escalated to <@U0LI>" in thread_text(h, report)
    reminders = dm_text(h, WORKER).count(":alarm_clock:")
    h.advance(timedelta(days=3))
    assert dm_text(h, WORKER).count(":alarm_clock:") == reminders == 1

    h.driver.slash(WORKER, "/actions")
    listing = h.emulator.wait_for(lambda: ephemeral_text(h, WORKER) if h.emulator.ephemerals(WORKER) else None)
    assert "Fence off press 3" in listing and "逾期" in listing


# --- Slack repeating itself -----------------------------------------------------------------------

def test_a_double_submit_and_a_retried_submit_file_one_report(harness):
    h = harness
    h.driver.slash(SUPERVISOR, "/report", "defect burrs on bracket 7")
    form = modal(h, SUPERVISOR)
    first = h.driver.submit(SUPERVISOR, {}, view=form)
    # A double click sends the same submission again, freshly signed; a network retry replays it byte for byte.
    second = h.driver.send_raw(first.request.body, first.request.headers["Content-Type"])
    retried = h.driver.resend(first)
    assert first.json is None
    reference = report_row(h).reference
    for answer in (second, retried):
        assert answer.json["response_action"] == "update" and reference in dumped(answer.json["view"])
    with h.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 1
    card(h, "C0STAMP")
    assert len([m for m in h.emulator.messages("C0STAMP")
                if reference in dumped(m) and m.get("thread_ts", m["ts"]) == m["ts"]]) == 1


def test_a_direct_message_becomes_a_draft_filed_only_on_confirmation(harness):
    h = harness
    sent = h.driver.dm(WORKER, "3号压机下面漏油")
    h.driver.resend(sent)  # Slack retries the event: still one draft
    h.deliver()
    drafts = [m for m in h.emulator.dm_messages(WORKER) if "draft_file" in buttons(m)]
    assert len(drafts) == 1 and "环境问题" in dumped(drafts[0]) and "3号压机线" in dumped(drafts[0])
    assert report_row(h) is None  # nothing filed without the person's confirmation
    h.driver.press_button(WORKER, drafts[0], action_id="draft_edit")
    assert "3号压机下面漏油" in dumped(modal(h, WORKER))
    h.driver.close(WORKER)
    pressed = h.driver.press_button(WORKER, drafts[0], action_id="draft_file")
    h.driver.send_raw(pressed.request.body, pressed.request.headers["Content-Type"])  # a double click
    h.deliver()
    with h.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 1
    assert report_row(h).location_id is not None
    assert "已提交" in dumped(h.emulator.wait_for(
        lambda: [m for m in h.emulator.dm_messages(WORKER) if "已提交" in dumped(m)]))


def redrawn_draft(h, user: str) -> dict:
    """The draft card once a kind was chosen on it: it can be filed now."""
    return eventually(h, lambda: (m := h.emulator.dm_messages(user)[-1]) and "draft_file" in buttons(m) and m,
                      "the redrawn draft")


@pytest.mark.parametrize("words, kind_button, kind_shown", [
    ("同事从梯子上摔下来了，脚扭了", None, "事件"),
    ("灭火器过期了", None, "隐患"),
    ("有人没戴安全帽", None, "隐患"),
    ("叉车司机今天又开得很快", "draft_kind:hazard", "隐患"),  # words the guess can't read: the card asks
])
def test_a_dm_in_plain_chinese_always_gets_a_draft_card(harness, words, kind_button, kind_shown):
    h = harness
    draft = answer_to_dm(h, WORKER, words)
    assert words in dumped(draft) and "help.dm_fallback" not in dumped(draft)
    if kind_button:
        assert "这属于哪类报告" in dumped(draft) and "draft_file" not in buttons(draft)
        kinds = ("hazard", "near_miss", "incident", "environmental", "defect")
        assert {f"draft_kind:{k}" for k in kinds} <= set(buttons(draft))
        h.driver.press_button(WORKER, draft, action_id=kind_button)
        draft = redrawn_draft(h, WORKER)
    assert kind_shown in dumped(draft)
    if kind_shown == "事件":  # an incident says whether anyone was hurt: in the form
        assert buttons(draft) == ["draft_edit"] and "是否有人受伤" in dumped(draft)
        h.driver.press_button(WORKER, draft, action_id="draft_edit")
        assert words in dumped(modal(h, WORKER))
        return
    h.driver.press_button(WORKER, draft, action_id="draft_file")
    h.deliver()
    filed = report_row(h)
    assert filed is not None and filed.description == words and filed.kind.value == "hazard"


def test_an_english_dm_the_guess_does_not_know_asks_the_kind_and_greetings_get_help(harness):
    h = harness
    assert "I read messages here as reports" in dumped(answer_to_dm(h, SUPERVISOR, "hello"))
    draft = answer_to_dm(h, SUPERVISOR, "the forklift driver on night shift keeps speeding past the office")
    assert "What kind of report is it?" in dumped(draft) and "draft_kind:near_miss" in buttons(draft)
    h.driver.press_button(SUPERVISOR, draft, action_id="draft_kind:near_miss")
    draft = redrawn_draft(h, SUPERVISOR)
    assert "Near miss" in dumped(draft) and "Safety" in dumped(draft)


def test_a_long_dm_is_filed_whole_and_a_too_long_one_says_what_is_left_out(harness):
    h = harness
    story = "Oil is leaking under press 3 again. " + "The drip tray is full and the oil runs to the walkway. " * 40
    assert 2000 < len(story.strip()) < 3000  # longer than a button can carry
    draft = answer_to_dm(h, SUPERVISOR, story)
    h.driver.press_button(SUPERVISOR, draft, action_id="draft_file")
    h.deliver()
    assert report_row(h).description == story.strip()

    draft = answer_to_dm(h, SUPERVISOR, "x" * 3200)
    assert "Your message has 3200 characters and a report holds 3000: the last 200 are left out" in dumped(draft)


# --- reclassify and transfer -----------------------------------------------------------------------

def department_id(h, code: str) -> str:
    from storage.models import Department
    with h.db.session() as s:
        return str(s.scalar(select(Department.id).where(Department.code == code)))


def test_triage_reclassifies_and_transfers_a_report_and_the_card_owners_and_channel_follow(harness):
    h = harness
    file_report(h, WORKER, "hazard 油漆桶没盖盖子，味道很大")  # filed from Stamping, it is Painting's
    report = card(h, "C0STAMP")

    h.driver.press_button(WORKER, report, action_id="report_reclassify")  # a worker may not
    assert "部门主管" in ephemeral_text(h, WORKER) and h.emulator.open_modal(WORKER) is None
    answer = triage_form(h, SUPERVISOR, report, "report_reclassify", {})
    assert "Nothing changed" in dumped(answer.json["errors"])
    answer = h.driver.submit(SUPERVISOR, {"kind": "environmental", "department": department_id(h, "painting"),
                                          "standards": ["iso14001", "iso45001"], "note": "Paint booth is Painting's"})
    assert answer.json is None

    moved = h.emulator.messages("C0STAMP")[0]
    h.deliver()
    old = [m for m in h.emulator.messages("C0STAMP") if m["ts"] == moved["ts"]][0]
    assert "transferred to <#C0PAINT>" in dumped(old) and buttons(old) == []
    new = card(h, "C0PAINT")
    assert "Environmental issue" in dumped(new) and "Painting" in dumped(new) and "report_acknowledge" in buttons(new)
    thread = thread_text(h, new)
    assert "<@U0WANG>" in thread and "<@U0LIU>" in thread  # both owners called into the new thread
    assert "reclassified the report: Hazard → Environmental issue; department Painting" in thread
    assert "Paint booth is Painting's" in thread
    assert any("HZ-" in dumped(m) for m in h.emulator.messages("C0ENV"))  # the newly tagged system's channel
    assert "重新分类了此报告：隐患 → 环境问题" in dm_text(h, WORKER)  # the reporter hears, in Chinese
    filed = report_row(h)
    assert (filed.kind.value, filed.channel_id, str(filed.department_id)) == ("environmental", "C0PAINT",
                                                                              department_id(h, "painting"))
    with h.db.session() as s:
        audited = {(d.step, d.allowed) for d in audit.decisions(s)}
    assert ("report.reclassify", False) in audited and ("report.reclassify", True) in audited

    # Stamping's supervisor has handed it over; the quality owner tags quality too and is called in.
    h.driver.press_button(SUPERVISOR, new, action_id="report_acknowledge")
    assert "department's supervisor" in ephemeral_text(h, SUPERVISOR)
    triage_form(h, ENVIRONMENT, new, "report_reclassify", {"standards": ["iso14001", "iso45001", "iso9001"]})
    thread = thread_text(h, card(h, "C0PAINT"))
    assert "<@U0CHEN>" in thread and "systems added: Quality" in thread
    assert any(filed.reference in dumped(m) for m in h.emulator.messages("C0QUALITY"))


def test_a_report_reclassified_as_an_incident_needs_its_injury_and_the_channel_never_sees_it(harness):
    h = harness
    file_report(h, WORKER, "hazard 梯子坏了")
    report = card(h)
    answer = triage_form(h, SUPERVISOR, report, "report_reclassify", {"kind": "incident"})
    assert "whether anyone was hurt" in dumped(answer.json["errors"])
    assert h.driver.submit(SUPERVISOR, {"kind": "incident", "injury_class": "lost_time"}).json is None
    h.deliver()
    assert "Lost-time" not in dumped(h.emulator.messages("C0STAMP")) + thread_text(h, card(h))
    assert report_row(h).injury_class.value == "lost_time"


# --- injuries and who sees what ---------------------------------------------------------------------

@pytest.mark.parametrize("injury, channel_sees", [
    ("none", "No injury (property damage, fire, release to the environment)"),
    ("fatality", "someone was hurt; the details are shown to the supervisor, the safety owner and managers"),
])
def test_an_incident_is_filed_with_no_injury_or_a_fatality(harness, injury, channel_sees):
    h = harness
    file_report(h, SUPERVISOR, "incident small fire in the press 3 hydraulic unit", injury_class=injury)
    report = card(h)
    assert channel_sees in dumped(report) and "Fatality" not in dumped(report)
    assert report_row(h).injury_class.value == injury
    h.driver.press_button(MANAGER, report, action_id="report_timeline")
    shown = dumped(modal(h, MANAGER))
    assert ("Fatality" in shown) == (injury == "fatality")


def test_a_worker_sees_only_their_own_and_their_departments_reports_and_injuries_only_the_few(harness):
    h = harness
    file_report(h, MANAGER, "incident Wang cut his hand on the paint booth door", injury_class="medical_treatment",
                department=department_id(h, "painting"))
    painting = report_row(h).reference
    file_report(h, SUPERVISOR, "incident Li Na burnt her finger on press 3", injury_class="first_aid")
    stamping = report_row(h).reference

    h.driver.slash(WORKER, "/report", f"status {painting}")  # another department's: refused, in Chinese
    eventually(h, lambda: "两者都不是" in ephemeral_text(h, WORKER), "the refusal")
    assert "cut his hand" not in ephemeral_text(h, WORKER)
    h.driver.slash(WORKER, "/report", f"status {stamping}")  # his department's: shown, without the injury
    eventually(h, lambda: "burnt her finger" in ephemeral_text(h, WORKER), "the timeline")
    assert "急救" not in ephemeral_text(h, WORKER)
    h.driver.press_button(WORKER, card(h, "C0PAINT"), action_id="report_timeline")  # a forged or shared press
    eventually(h, lambda: ephemeral_text(h, WORKER).count("两者都不是") == 2, "refused again")
    assert h.emulator.open_modal(WORKER) is None

    h.driver.slash(SUPERVISOR, "/report", f"status {stamping}")  # the supervisor sees the injury class
    eventually(h, lambda: "First aid" in ephemeral_text(h, SUPERVISOR), "the injury")
    h.driver.slash(SAFETY, "/report", f"status {painting}")  # and the safety owner, for every department
    eventually(h, lambda: "Medical treatment" in ephemeral_text(h, SAFETY), "the injury")
    h.driver.slash(WORKER, "/report", "mine")
    eventually(h, lambda: "您还没有实名提交过报告" in ephemeral_text(h, WORKER), "only his own")
    with h.db.session() as s:
        refused = sum(d.step == "report.view" and not d.allowed for d in audit.decisions(s))
    assert refused == 2


# --- other ways in --------------------------------------------------------------------------------

def test_shortcuts_and_app_home_open_the_form(harness):
    h = harness
    h.driver.shortcut(SUPERVISOR, "report_issue")
    assert modal(h, SUPERVISOR)["callback_id"] == "report_submit"
    h.driver.close(SUPERVISOR)

    original = h.emulator.post_as_user(QUALITY, "Customer found <!channel> scratches on lot 42", channel_id="C0QUALITY")
    h.driver.message_shortcut(SUPERVISOR, "report_message", original)
    form = h.emulator.wait_for(
        lambda: (v := h.emulator.open_modal(SUPERVISOR)) and "link" in v.get("private_metadata", "") and v)
    h.driver.submit(SUPERVISOR, {"kind": "defect"})
    assert "this message" in dumped(card(h)) and "&lt;!channel&gt;" in dumped(card(h))
    assert form["callback_id"] == "report_submit"

    h.driver.home_opened(WORKER)
    home = h.emulator.wait_for(lambda: h.emulator.home(WORKER))
    h.driver.press_button(WORKER, home, action_id="home_report")
    assert modal(h, WORKER)["title"]["text"] == "上报问题"


def test_two_people_acknowledging_at_once_record_it_once(harness):
    from concurrent.futures import ThreadPoolExecutor

    h = harness
    file_report(h)
    report = card(h)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda who: h.driver.press_button(who, report, action_id="report_acknowledge"),
                      [SUPERVISOR, SAFETY]))
    from storage.models import EvidenceEntry

    with h.db.session() as s:
        acknowledged = s.scalar(select(func.count()).select_from(EvidenceEntry)
                                .where(EvidenceEntry.kind == "acknowledged"))
    assert acknowledged == 1


# --- the loop never stalls silently -----------------------------------------------------------------

def nudges(h, user: str, action_id: str | None = None) -> list[dict]:
    h.deliver()
    return [m for m in h.emulator.dm_messages(user) if (m.get("blocks") or [{}])[-1].get("block_id", "").startswith(
        "nudge:") and (action_id is None or action_id in buttons(m))]


def test_an_untriaged_report_reminds_the_supervisor_then_the_manager_in_their_language(harness):
    h = harness
    h.driver.slash(SUPERVISOR, "/triad", "language zh")
    file_report(h)  # Monday 09:00 in Shanghai; Stamping works two shifts, 06:00 to 22:00
    h.advance(timedelta(hours=7))
    assert nudges(h, SUPERVISOR) == []
    h.advance(timedelta(hours=1, minutes=30))  # a working day of the department
    [reminder] = nudges(h, SUPERVISOR)
    assert "一直在等待分析处理" in reminder["text"] and "请确认接收并评估风险" in reminder["text"]
    assert nudges(h, MANAGER) == []
    h.advance(timedelta(days=1))  # Tuesday 18:30: escalated, but the manager works office hours
    thread = thread_text(h, card(h))
    assert ("escalated to" in thread or "已升级至" in thread) and nudges(h, MANAGER) == []
    h.advance(timedelta(hours=15))  # Wednesday 08:30
    [escalation] = nudges(h, MANAGER)
    assert "has been waiting for triage" in escalation["text"] and "<@U0LI> reminded" in escalation["text"]
    assert nudges(h, SAFETY)


def test_an_injury_alerts_the_manager_and_the_safety_owner_at_once(harness):
    h = harness
    file_report(h, WORKER, "incident cut my hand on press 3", injury_class="medical_treatment")
    for who in (MANAGER, SAFETY):
        assert ":rotating_light: *Urgent:" in dm_text(h, who) and "Medical treatment" in dm_text(h, who)
    assert "alerted at once" in thread_text(h, card(h))


def test_each_owner_is_asked_to_sign_off_by_dm_and_on_home_once_everything_else_is_done(harness):
    h = harness
    file_report(h, WORKER, "environment oil leaking onto the walkway at press 3", standards=["iso14001", "iso45001"])
    triage_form(h, ENVIRONMENT, card(h), "report_assign", {"type": "containment", "description": "Absorb the oil",
                                                           "owner": SUPERVISOR})
    assert nudges(h, ENVIRONMENT) == [] and "report_sign_off" not in buttons(card(h))
    h.driver.press_button(SUPERVISOR, dm_with(h, SUPERVISOR, "action_done"), action_id="action_done")
    modal(h, SUPERVISOR)
    h.driver.submit(SUPERVISOR, {"note": "Absorbed, seal replaced"})
    h.driver.press_button(ENVIRONMENT, dm_with(h, ENVIRONMENT, "action_verify"), action_id="action_verify")
    [ask] = nudges(h, SAFETY, "report_sign_off")
    assert "needs only the system owners' sign-off" in ask["text"]
    h.driver.press_button(ENVIRONMENT, nudges(h, ENVIRONMENT, "report_sign_off")[0], action_id="report_sign_off")
    assert report_row(h).status == ReportStatus.CLOSING
    h.driver.home_opened(SAFETY)
    home = h.emulator.wait_for(lambda: (v := h.emulator.home(SAFETY)) and "report_sign_off" in buttons(v) and v)
    assert "needs only your sign-off" in dumped(home)
    h.driver.press_button(SAFETY, home, action_id="report_sign_off")
    assert report_row(h).status == ReportStatus.CLOSED


def test_cant_do_tells_the_supervisor_at_once_who_assigns_a_new_action_from_the_dm(harness):
    h = harness
    file_report(h)
    triage_form(h, SAFETY, card(h), "report_assign", {"type": "correction", "description": "Refit the guard",
                                                      "owner": WORKER})
    h.driver.press_button(WORKER, dm_with(h, WORKER, "action_cant_do"), action_id="action_cant_do")
    modal(h, WORKER)
    h.driver.submit(WORKER, {"text": "我没有接受过防护罩培训"})
    assert "a new one is needed" in dumped(card(h)) and "0 of 0" not in dumped(card(h))
    [told] = nudges(h, SUPERVISOR, "report_assign")
    assert "can't do action" in told["text"] and "我没有接受过防护罩培训" in told["text"]
    triage_form(h, SUPERVISOR, told, "report_assign", {"type": "correction", "description": "Refit the guard",
                                                       "owner": SUPERVISOR, "verifier": SAFETY})
    status = [b for b in card(h)["blocks"] if b.get("block_id") == "status"][0]
    assert "Actions under way" in dumped(status) and "0 of 1 verified" in dumped(status), dumped(status)


def test_more_time_on_a_high_risk_waits_for_the_supervisor_who_approves_with_a_button(harness):
    h = harness
    file_report(h)
    triage_form(h, SUPERVISOR, card(h), "report_assess", {"likelihood": "4", "severity": "4"})  # high
    triage_form(h, SUPERVISOR, card(h), "report_assign", {"type": "corrective", "description": "Fit an interlock",
                                                          "owner": WORKER})
    h.driver.press_button(WORKER, dm_with(h, WORKER, "action_more_time"), action_id="action_more_time")
    modal(h, WORKER)
    h.driver.submit(WORKER, {"due_on": "2026-12-31", "text": "联锁装置要下个月才到货"})
    assert "Waiting for the supervisor's approval" in thread_text(h, card(h))
    [request] = nudges(h, SUPERVISOR, "action_more_time_approve")
    h.driver.press_button(SUPERVISOR, request, action_id="action_more_time_approve")
    h.advance(timedelta(minutes=1))  # a delivery that timed out on a busy machine is retried meanwhile
    assert "已批准措施" in dm_text(h, WORKER)
    with h.db.session() as s:
        from storage.models import CorrectiveAction
        assert s.scalars(select(CorrectiveAction)).one().due_on.isoformat() == "2026-12-31"


def test_an_undecided_request_for_more_time_is_reminded_then_the_manager_decides_it_from_the_dm(harness):
    h = harness
    file_report(h)  # Monday 09:00 in Shanghai
    triage_form(h, SUPERVISOR, card(h), "report_assess", {"likelihood": "4", "severity": "4"})  # high
    triage_form(h, SUPERVISOR, card(h), "report_assign", {"type": "corrective", "description": "Fit an interlock",
                                                          "owner": WORKER})
    h.driver.press_button(WORKER, dm_with(h, WORKER, "action_more_time"), action_id="action_more_time")
    modal(h, WORKER)
    h.driver.submit(WORKER, {"due_on": "2026-12-31", "text": "联锁装置要下个月才到货"})
    assert len(nudges(h, SUPERVISOR, "action_more_time_approve")) == 1
    h.advance(timedelta(hours=4, minutes=15))  # half a working day of Stamping: Li Na is reminded
    assert len(nudges(h, SUPERVISOR, "action_more_time_approve")) == 2 and nudges(h, MANAGER) == []
    assert "Waiting for approval of more time: <@U0LI> reminded." in thread_text(h, card(h))
    h.advance(timedelta(hours=4))  # a working day: the manager, held until their working hours begin
    assert nudges(h, MANAGER) == []
    h.advance(timedelta(hours=15))  # Tuesday 08:15
    [told] = nudges(h, MANAGER, "action_more_time_approve")
    assert "waited for <@U0LI> to decide" in told["text"]
    h.driver.press_button(MANAGER, told, action_id="action_more_time_approve")
    h.advance(timedelta(minutes=1))
    assert "已批准措施" in dm_text(h, WORKER)
    h.advance(timedelta(days=5))
    assert nudges(h, SUPERVISOR) == [] and nudges(h, SAFETY) == []  # decided: quiet, and Li's two asks say so
    assert len([m for m in h.emulator.dm_messages(SUPERVISOR) if "Nothing more is needed from you" in dumped(m)
                or "此处已无需您处理" in dumped(m)]) == 2


def test_rejecting_a_hazard_needs_a_reason_the_reporter_reads_and_it_can_be_reopened(harness):
    h = harness
    file_report(h)
    h.driver.press_button(SUPERVISOR, card(h), action_id="report_reject")
    form = modal(h, SUPERVISOR)
    note = [b for b in form["blocks"] if b.get("block_id") == "note"][0]
    assert note["optional"] is False and "they read it" in note["label"]["text"]  # the server checks it too
    h.driver.submit(SUPERVISOR, {"reason": "not_an_issue", "note": "The guard was off for cleaning only"})
    assert report_row(h).status == ReportStatus.REJECTED
    assert "The guard was off for cleaning only" in dm_text(h, WORKER)
    h.driver.press_button(SUPERVISOR, card(h), action_id="report_reopen")
    assert report_row(h).status == ReportStatus.TRIAGE
    assert "重新打开了此报告" in dm_text(h, WORKER)
