"""Overdue actions: a reminder to the owner, then the supervisor is told; each once per due date."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.reports import corrective, overdue, service
from storage.models import OutboxMessage
from tests.unit.reports_world import SUPERVISOR, WORKER, actor, assign, department_id, file, load_plant


def sent_to(db, user: str, prefix: str) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage.key).where(OutboxMessage.channel == user,
                                                              OutboxMessage.key.like(prefix))))


@pytest.fixture
def action(db):
    load_plant(db)
    rid = file(db, department_id=department_id(db, "stamping")).report.id
    return assign(db, rid, owner=WORKER, verifier=SUPERVISOR, days=2)


def sweep(db) -> int:
    with db.session() as s:
        return overdue.sweep(s)


def test_nothing_happens_before_the_due_date_has_passed(db, action):
    clock.advance(timedelta(days=2))
    assert sweep(db) == 0


def test_a_reminder_then_an_escalation_each_sent_once(db, action):
    clock.advance(timedelta(days=3, hours=1))
    assert sweep(db) == 1
    assert sweep(db) == 0
    assert len(sent_to(db, WORKER, f"action:{action}:reminder:%")) == 1
    clock.advance(timedelta(days=2))
    assert sweep(db) == 1
    assert sent_to(db, SUPERVISOR, f"action:{action}:escalation:%")
    clock.advance(timedelta(days=5))
    assert sweep(db) == 0


def test_more_time_starts_the_stages_again(db, action):
    clock.advance(timedelta(days=6))
    assert sweep(db) == 2
    with db.session() as s:
        new_due = service.today(s) + timedelta(days=3)
    with db.session() as s:
        corrective.extend_action(s, actor(db, WORKER), action, new_due, "Parts arrive Friday")
    assert sweep(db) == 0
    clock.advance(timedelta(days=4, hours=1))
    assert sweep(db) == 1
    assert len(sent_to(db, WORKER, f"action:{action}:reminder:%")) == 2


def test_the_scheduler_and_the_sandbox_both_run_the_sweep():
    from bot import jobs, scheduler

    assert overdue.sweep_job in jobs.TIME_SWEEPS
    assert ("action-reminders", "bot.reports.overdue:sweep_job",
            {"trigger": "interval", "minutes": 15}) in scheduler.JOBS
