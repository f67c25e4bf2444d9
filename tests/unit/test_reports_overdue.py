"""Overdue actions climb a chain (owner, supervisor, manager, system owner), each stage after its own
working time, never to the action's owner, each DM held for its reader's working hours."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.reports import corrective, overdue, service
from storage.models import EvidenceEntry, OutboxMessage
from tests.unit.reports_world import (
    MANAGER,
    SAFETY,
    SUPERVISOR,
    WORKER,
    actor,
    assign,
    department_id,
    file,
    load_plant,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def to(clock):
    """Move the test's clock to a moment of the test week (Monday 30 November 2026 is its first day)."""
    def move(text: str) -> None:
        clock.advance(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI) - clock.now())
    return move


def dms(db, user: str, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.channel == user,
                                                          OutboxMessage.key.like(f"action:%:{kind}:%"))))


def escalated_to(db) -> list[list[str]]:
    with db.session() as s:
        return [e.detail["people"] for e in s.scalars(select(EvidenceEntry).where(
            EvidenceEntry.kind == "action_overdue_escalated").order_by(EvidenceEntry.id))]


def sweep(db) -> int:
    with db.session() as s:
        return overdue.sweep(s)


@pytest.fixture
def plant(db):
    load_plant(db)  # Stamping works two shifts, mon-fri 06:00-22:00; Zhang Wei the early one, 06:00-14:00
    return db


def hazard_action(db, owner: str = WORKER) -> int:
    """A safety hazard in Stamping, its action due on Wednesday 2 December."""
    rid = file(db, department_id=department_id(db, "stamping")).report.id
    return assign(db, rid, owner=owner, verifier=MANAGER if owner == SUPERVISOR else SUPERVISOR, days=2)


def test_nothing_happens_on_the_due_day(plant, to):
    hazard_action(plant)
    to("2026-12-02 21:00")
    assert sweep(plant) == 0


def test_the_owner_is_reminded_once_the_due_day_is_over_in_their_working_hours(plant, to):
    action = hazard_action(plant)
    to("2026-12-03 01:00")  # Thursday night: the due day is over
    assert sweep(plant) == 1 and sweep(plant) == 0
    [reminder] = dms(plant, WORKER, "reminder")
    assert reminder.next_attempt_at.astimezone(SHANGHAI) == datetime(2026, 12, 3, 6, 0, tzinfo=SHANGHAI)
    assert f"action:{action}:reminder" in reminder.key and escalated_to(plant) == []


def test_the_chain_climbs_supervisor_manager_system_owner_each_after_its_own_time(plant, to):
    hazard_action(plant)
    to("2026-12-03 21:00")  # 15 working hours of Stamping after the due day
    sweep(plant)
    assert escalated_to(plant) == []
    to("2026-12-03 22:30")  # 16: the supervisor
    assert sweep(plant) == 1 and escalated_to(plant) == [[SUPERVISOR]]
    to("2026-12-07 13:00")  # 16 + 24 working hours are Monday 14:00
    assert sweep(plant) == 0
    to("2026-12-07 14:30")
    assert sweep(plant) == 1 and escalated_to(plant)[-1] == [MANAGER]
    to("2026-12-09 21:00")  # 40 more: Wednesday 22:00
    sweep(plant)
    assert len(escalated_to(plant)) == 2
    to("2026-12-09 22:30")
    sweep(plant)
    assert escalated_to(plant)[-1] == [SAFETY]  # the owner of the report's system
    assert all(WORKER not in told for told in escalated_to(plant))  # never to the action's owner
    assert len(dms(plant, SUPERVISOR, "escalation")) == 1 and len(dms(plant, MANAGER, "escalation")) == 1


def test_after_the_last_stage_it_repeats_every_working_week_never_silent(plant, clock):
    hazard_action(plant)
    clock.advance(timedelta(days=400))  # the scheduler was away: each stage once, then one repeat
    sweep(plant)
    assert [p for p in escalated_to(plant)] == [[SUPERVISOR], [MANAGER], [SAFETY], [SAFETY]]
    assert sweep(plant) == 0
    clock.advance(timedelta(days=7))
    assert sweep(plant) == 1 and len(dms(plant, WORKER, "reminder")) == 3


def test_a_supervisors_own_overdue_action_goes_to_the_manager(plant, to):
    hazard_action(plant, owner=SUPERVISOR)
    to("2026-12-03 22:30")
    sweep(plant)
    assert escalated_to(plant) == [[MANAGER]]
    assert dms(plant, SUPERVISOR, "reminder") and not dms(plant, SUPERVISOR, "escalation")


def test_more_time_starts_the_chain_again(plant, clock, to):
    action = hazard_action(plant)
    to("2026-12-03 23:00")
    assert sweep(plant) == 2  # the owner reminded, the supervisor told
    with plant.session() as s:
        new_due = service.today(s) + timedelta(days=3)
    with plant.session() as s:
        corrective.extend_action(s, actor(plant, WORKER), action, new_due, "Parts arrive Friday")
    assert sweep(plant) == 0
    clock.advance(timedelta(days=3, hours=2))  # Monday 01:00: the new due day (Sunday) is over
    assert sweep(plant) == 1
    assert len(dms(plant, WORKER, "reminder")) == 2


def test_the_scheduler_and_the_sandbox_both_run_the_sweeps():
    from bot import domains
    from bot.reports import effectiveness, followup, more_time

    sweeps = {job.id: job for job in domains.time_sweeps()}
    for module, name in ((overdue, "action-reminders"), (followup, "report-follow-ups"),
                         (effectiveness, "effectiveness-checks"), (more_time, "more-time-approvals")):
        assert sweeps[name].run is module.sweep_job
        assert sweeps[name].every == timedelta(minutes=15)
