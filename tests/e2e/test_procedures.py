"""Controlled procedures through signed requests and the emulator: a version published reaches exactly its
audience by DM, each reader in their language; the check is answered in the reading form (a wrong answer shows its
explanation inline, and every attempt is recorded); the card settles once acknowledged; a superseded card offers
the current one; /procedures, Home and coverage show who is missing; a nudge and the CSV reach who asked."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy import select

from bot import blockkit
from bot.org import people
from bot.procedures import service
from bot.procedures.values import Audience, ProcedureDraft, QuestionDraft
from storage.models import Acknowledgment, AckStatus, Department, EvidenceEntry, OutboxMessage, Person, Standard

WORKER, SUPERVISOR, QUALITY, ENVIRONMENT, SAFETY, MANAGER = "U0ZHANG", "U0LI", "U0CHEN", "U0WANG", "U0LIU", "U0ZHAO"
CHECK = QuestionDraft("Before you reach into the press, you…", "把手伸进压机之前，你应该……",
                      (("ask a colleague to watch", "请同事看着"), ("lock it out and tag it", "上锁挂牌")), 1,
                      "Only your own lock keeps the press from starting.", "只有你自己的锁才能防止压机启动。")


def draft(**changes) -> ProcedureDraft:
    values = dict(code="SOP-EHS-007", version="1.0", title_en="Lockout/tagout", title_zh="上锁挂牌",
                  summary_en="Stop the machine.\nLock every energy source with your own lock.",
                  summary_zh="停机。\n用自己的锁锁定每个能源。", owner=SAFETY, standards=(Standard.SAFETY,),
                  audience=Audience(departments=("stamping",)), effective_on=date(2026, 11, 30),
                  document_url="https://docs.example.com/loto.pdf", questions=(CHECK,))
    values.update(changes)
    return ProcedureDraft(**values)


def publish(h, procedure: ProcedureDraft) -> int:
    with h.db.session(h.organisation("T0TRIAD")) as s:
        owner = people.actor_of(people.find(s, SAFETY), people.organisation(s))
        version = service.save_draft(s, owner, procedure)
        service.publish(s, owner, version.id)
        return version.id


def cards(h, user: str) -> list[dict]:
    h.deliver()
    return [m for m in h.emulator.dm_messages(user) if any(
        b.get("block_id") == "procedure_card" for b in m.get("blocks") or [])]


def dumped(thing) -> str:
    return json.dumps(thing, ensure_ascii=False)


def test_publishing_reaches_exactly_the_audience_each_in_their_language(harness):
    publish(harness, draft())
    (zhang,) = cards(harness, WORKER)  # Zhang Wei reads Chinese
    (li,) = cards(harness, SUPERVISOR)
    assert "上锁挂牌" in dumped(zhang) and "我已阅读并理解" in dumped(zhang)
    assert "Lockout/tagout" in li["blocks"][0]["text"]["text"] and "Answer and acknowledge" in dumped(li)
    for someone in (QUALITY, ENVIRONMENT, MANAGER):
        assert cards(harness, someone) == []
    for message in (zhang, li):
        assert blockkit.problems(message, "message") == []
    assert any("2 people were asked" in m.get("text", "") for m in harness.emulator.dm_messages(SAFETY))


def test_the_check_answered_wrong_shows_why_then_right_acknowledges_and_settles_the_card(harness):
    publish(harness, draft())
    (card,) = cards(harness, SUPERVISOR)
    harness.driver.press_button(SUPERVISOR, card, "procedure_open")
    harness.driver.press_button(SUPERVISOR, card, "procedure_acknowledge")
    form = harness.emulator.wait_for(lambda: harness.emulator.open_modal(SUPERVISOR), description="the reading form")
    assert blockkit.problems(form, "modal") == []
    wrong = harness.driver.submit(SUPERVISOR, {"q0": "0"})
    assert "Only your own lock" in wrong.json["errors"]["q0"]
    right = harness.driver.submit(SUPERVISOR, {"q0": "1"})
    assert right.status == 200 and harness.emulator.open_modal(SUPERVISOR) is None
    harness.settle()
    (settled,) = cards(harness, SUPERVISOR)
    assert "You acknowledged version 1.0" in dumped(settled) and "procedure_acknowledge" not in dumped(settled)
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        record = s.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "procedure_acknowledged"))
        attempts = list(s.scalars(select(EvidenceEntry.detail).where(EvidenceEntry.kind == "check_answered")))
    assert record.detail["opened"] is True and record.detail["check"] == {"questions": 1, "attempts": 2}
    assert [a["passed"] for a in attempts] == [False, True]


def test_a_superseded_card_says_so_and_brings_the_current_one(harness):
    publish(harness, draft(questions=()))
    (old,) = cards(harness, SUPERVISOR)
    publish(harness, draft(version="2.0", change_note_en="Also the air line.", change_note_zh="也包括气路。",
                           summary_en="Stop the machine.\nLock every energy source, the air line too.",
                           questions=()))
    harness.deliver()
    assert "A newer version of SOP-EHS-007 is in force (2.0)" in dumped(
        harness.emulator.message(old["channel"], old["ts"]))  # its buttons went
    harness.driver.press_button(SUPERVISOR, old, "procedure_acknowledge", as_seen=True)  # a client not caught up
    harness.settle()
    messages = cards(harness, SUPERVISOR)
    newest = messages[-1]
    assert "version 2.0" in dumped(newest) and "What changed since version 1.0" not in dumped(newest)  # not read
    told = [m.get("text", "") for m in harness.emulator.dm_messages(SUPERVISOR)]
    assert any("superseded" in t for t in told)
    assert any("The card you pressed was for version 1.0, which has been superseded" in t for t in told)
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        assert s.scalar(select(EvidenceEntry.id).where(EvidenceEntry.kind == "procedure_acknowledged")) is None


def test_a_major_revision_shows_what_changed_since_the_version_acknowledged(harness):
    publish(harness, draft(questions=()))
    (card,) = cards(harness, SUPERVISOR)
    harness.driver.press_button(SUPERVISOR, card, "procedure_acknowledge")
    harness.settle()
    publish(harness, draft(version="2.0", change_note_en="Also the air line.", change_note_zh="也包括气路。",
                           summary_en="Stop the machine.\nLock every energy source, the air line too.",
                           questions=()))
    newest = cards(harness, SUPERVISOR)[-1]
    text = dumped(newest)
    assert "What changed since version 1.0" in text and "Also the air line." in text
    assert "➕ *Lock every energy source, the air line too.*" in text and "➖ ~Lock every energy source" in text


def test_procedures_home_and_coverage_show_who_is_missing_and_the_nudge_reaches_them(harness):
    publish(harness, draft(questions=()))
    (card,) = cards(harness, SUPERVISOR)
    harness.driver.press_button(SUPERVISOR, card, "procedure_acknowledge")
    harness.settle()
    assert harness.driver.slash(WORKER, "/procedures").status == 200
    mine = harness.emulator.wait_for(lambda: harness.emulator.open_modal(WORKER), description="/procedures")
    assert "SOP-EHS-007" in dumped(mine) and "procedure_read" in dumped(mine)
    harness.driver.close(WORKER)
    assert harness.driver.slash(MANAGER, "/procedures", "coverage").status == 200
    view = harness.emulator.wait_for(lambda: harness.emulator.open_modal(MANAGER), description="coverage")
    assert "1 of 2 (50%)" in dumped(view) and blockkit.problems(view, "modal") == []
    harness.driver.press_button(MANAGER, view, "procedure_missing")
    missing = harness.emulator.wait_for(lambda: len(harness.emulator.modal_stack(MANAGER)) == 2 and
                                        harness.emulator.open_modal(MANAGER), description="who is missing")
    assert "Zhang Wei" in dumped(missing) and "Li Na" not in dumped(missing)
    harness.driver.press_button(MANAGER, missing, "procedure_nudge")
    harness.settle()
    harness.deliver()
    assert any("Zhao Min asks you" in m.get("text", "") or "赵敏" in dumped(m)
               for m in harness.emulator.dm_messages(WORKER))
    harness.driver.press_button(MANAGER, missing, "procedure_export")
    harness.settle()
    harness.deliver()
    (shared,) = [m for m in harness.emulator.dm_messages(MANAGER) if m.get("files")]
    content = harness.emulator.file_content(shared["files"][0]["id"]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted((r["slack_user_id"], r["status"]) for r in rows) == [(SUPERVISOR, "acknowledged"),
                                                                        (WORKER, "pending")]


def test_a_worker_may_not_see_coverage(harness):
    publish(harness, draft(questions=()))
    assert harness.driver.slash(WORKER, "/procedures", "coverage").status == 200
    harness.settle()
    assert harness.emulator.open_modal(WORKER) is None


def held_dms(h, user: str) -> list:
    """What the outbox holds for someone (a reminder waiting for their working hours)."""
    with h.db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.channel == user,
                                                          OutboxMessage.status == "pending")))


def test_reminders_then_the_supervisor_then_the_owner_each_in_working_hours(harness):
    publish(harness, draft(questions=(), deadline_days=2))  # Monday 09:00 in Shanghai, due Wednesday
    (card,) = cards(harness, SUPERVISOR)
    harness.driver.press_button(SUPERVISOR, card, "procedure_acknowledge")  # Li Na reads it; Zhang Wei does not
    harness.settle()
    harness.advance(timedelta(days=3, hours=1))  # Thursday 10:00: three working days on, and past the deadline
    reminders = [m for m in harness.emulator.dm_messages(WORKER) if "Reminder" in dumped(m)]
    assert len(reminders) == 1 and "SOP-EHS-007" in dumped(reminders[0])
    escalations = [m for m in harness.emulator.dm_messages(SUPERVISOR) if "overdue in your department" in dumped(m)]
    assert len(escalations) == 1 and "Zhang Wei" in dumped(escalations[0])
    assert not any("of your system" in dumped(m) for m in harness.emulator.dm_messages(SAFETY))
    harness.advance(timedelta(days=5))  # next Tuesday: three working days after the supervisor heard
    assert any("overdue on procedures of your system" in dumped(m) for m in harness.emulator.dm_messages(SAFETY))
    harness.advance(timedelta(hours=1))
    assert len([m for m in harness.emulator.dm_messages(SUPERVISOR) if "overdue" in dumped(m)]) == 1  # once


def test_a_reminder_waits_for_the_readers_working_hours(harness, clock):
    clock.advance(timedelta(hours=11))  # Monday 20:00 in Shanghai
    publish(harness, draft(questions=()))
    harness.deliver()
    assert cards(harness, WORKER) == [] and len(held_dms(harness, WORKER)) == 1  # the card waits for the morning
    harness.advance(timedelta(hours=13))  # Tuesday 09:00
    assert len(cards(harness, WORKER)) == 1


def test_a_joiner_and_someone_who_moves_get_theirs_by_the_next_sweep(harness):
    publish(harness, draft(questions=()))
    cards(harness, WORKER)
    with harness.db.session(harness.organisation("T0TRIAD")) as s:
        stamping = s.scalar(select(Department).where(Department.code == "stamping"))
        s.scalar(select(Person).where(Person.slack_user_id == QUALITY)).department = stamping  # Chen Jie moves
    harness.advance(timedelta(minutes=15))
    assert len(cards(harness, QUALITY)) == 1
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        moved = s.scalar(select(Acknowledgment).join(Person).where(Person.slack_user_id == QUALITY))
    assert moved.reason == "moved" and moved.status == AckStatus.PENDING


def test_double_clicks_and_retries_record_one_acknowledgment(harness):
    publish(harness, draft(questions=()))
    (card,) = cards(harness, WORKER)
    first = harness.driver.press_button(WORKER, card, "procedure_acknowledge", as_seen=True)
    harness.driver.press_button(WORKER, card, "procedure_acknowledge", as_seen=True)
    harness.driver.resend(first)
    harness.settle()
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        recorded = list(s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "procedure_acknowledged")))
    assert len(recorded) == 1


def test_a_card_of_a_retired_procedure_says_so(harness):
    publish(harness, draft(questions=()))
    (card,) = cards(harness, WORKER)
    with harness.db.session(harness.organisation("T0TRIAD")) as s:
        service.retire(s, people.actor_of(people.find(s, SAFETY), people.organisation(s)), "SOP-EHS-007")
    harness.driver.press_button(WORKER, card, "procedure_acknowledge", as_seen=True)
    harness.settle()
    harness.deliver()
    assert "retired" in dumped(harness.emulator.dm_messages(WORKER)[-1]) or any(
        "retired" in dumped(m) for m in harness.emulator.messages())
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        assert s.scalar(select(EvidenceEntry.id).where(EvidenceEntry.kind == "procedure_acknowledged")) is None
