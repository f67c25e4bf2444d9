"""Nothing waits silently: untriaged reports, sign-offs, Can't do, more time on a high risk, rejections,
root causes without a fix and later effectiveness checks each reach the person who must act."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.reports import corrective, effectiveness, followup, more_time, overdue, service
from bot.reports.errors import InvalidInput, NotAllowed, ReportError
from storage.models import (
    ActionType,
    EvidenceEntry,
    InjuryClass,
    OutboxMessage,
    ReportKind,
    ReportStatus,
    RiskLevel,
    Standard,
)
from tests.unit.reports_world import (
    ENVIRONMENT,
    MANAGER,
    QUALITY,
    SAFETY,
    SUPERVISOR,
    WORKER,
    actor,
    assign,
    complete_and_verify,
    department_id,
    file,
    load_plant,
    status,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def plant(db):
    load_plant(db)
    return db


@pytest.fixture
def to(clock):
    """Move the test's clock to a moment of the test week, in Shanghai."""
    def move(text: str) -> None:
        clock.advance(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI) - clock.now())
    return move


def sweep(db) -> int:
    with db.session() as s:
        return followup.sweep(s)


def dms(db, user: str, like: str = "%") -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.channel == user, OutboxMessage.key.like(like))
                              .order_by(OutboxMessage.id)))


def events(db, rid: int, kind: str) -> list[dict]:
    with db.session() as s:
        return [e.detail for e in s.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == rid,
                                                                      EvidenceEntry.kind == kind))]


def stamping(db, **fields) -> int:
    return file(db, department_id=department_id(db, "stamping"), **fields).report.id


def warehouse(db, **fields) -> int:
    return file(db, department_id=department_id(db, "warehouse"), **fields).report.id


# --- untriaged reports ------------------------------------------------------------------------------

def test_an_untriaged_report_reminds_the_supervisor_after_a_working_day_then_escalates(plant, clock, to):
    rid = stamping(plant)  # Monday 09:00; Stamping works 06:00-22:00
    to("2026-11-30 16:30")
    assert sweep(plant) == 0
    to("2026-11-30 17:30")  # a working day: 8 working hours
    assert sweep(plant) == 1
    assert [e["people"] for e in events(plant, rid, "waiting_reminded")] == [[SUPERVISOR]]
    assert dms(plant, SUPERVISOR, f"report:{rid}:nudge:%")
    to("2026-12-01 16:30")
    assert sweep(plant) == 0
    to("2026-12-01 17:30")  # two working days more: 16 hours of a two-shift department
    assert sweep(plant) == 1
    [escalation] = events(plant, rid, "waiting_escalated")
    assert set(escalation["people"]) == {MANAGER, SAFETY}  # the manager and the system's owner
    clock.advance(timedelta(days=400))
    assert sweep(plant) == 1  # and then every working week: never silent
    with plant.session() as s:
        service.acknowledge(s, actor(plant, SUPERVISOR), rid)
    assert sweep(plant) == 0  # a step starts a new chain


def test_a_high_estimate_is_reminded_within_the_hour(plant, clock):
    rid = stamping(plant, severity_estimate=RiskLevel.HIGH)
    clock.advance(timedelta(minutes=50))
    assert sweep(plant) == 0
    clock.advance(timedelta(minutes=15))
    assert sweep(plant) == 1 and events(plant, rid, "waiting_reminded")


def test_without_a_supervisor_the_systems_owners_are_reminded(plant, clock):
    rid = warehouse(plant, kind=ReportKind.ENVIRONMENTAL)  # the warehouse has no supervisor
    clock.advance(timedelta(days=2))
    sweep(plant)
    assert events(plant, rid, "waiting_reminded")[0]["people"] == [ENVIRONMENT]


def test_reminders_wait_for_the_readers_working_hours(plant, to):
    stamping(plant)
    to("2026-12-05 12:00")  # Saturday: the reminder is owed, the DM is held until Monday 06:00
    sweep(plant)
    reminder = dms(plant, SUPERVISOR, "report:%:nudge:%")[0]
    assert reminder.next_attempt_at.astimezone(SHANGHAI) == datetime(2026, 12, 7, 6, 0, tzinfo=SHANGHAI)
    assert "waits for triage" not in str(reminder.payload) and "waiting for triage" in str(reminder.payload)


def test_an_injury_alerts_the_manager_and_the_safety_owner_at_once_whatever_the_hour(plant, clock, to):
    to("2026-12-05 03:00")  # Saturday night
    rid = stamping(plant, kind=ReportKind.INCIDENT, injury_class=InjuryClass.MEDICAL_TREATMENT,
                   description="Cut his hand on the press")
    for who in (MANAGER, SAFETY):
        [alert] = dms(plant, who, f"report:{rid}:urgent:%")
        assert alert.next_attempt_at <= clock.now() and "Medical treatment" in alert.payload["text"]
    assert events(plant, rid, "urgent_alert")[0]["why"] == "injury"


def test_a_critical_risk_alerts_once(plant):
    rid = stamping(plant)
    for _ in range(2):
        with plant.session() as s:
            service.assess_risk(s, actor(plant, SUPERVISOR), rid, 5, 4)
    assert len(dms(plant, MANAGER, f"report:{rid}:urgent:%")) == 1
    assert "critical" in dms(plant, SAFETY, f"report:{rid}:urgent:%")[0].payload["text"]


# --- sign-offs -----------------------------------------------------------------------------------------

def two_systems(db) -> tuple[int, int]:
    rid = stamping(db, kind=ReportKind.ENVIRONMENTAL, standards=[Standard.ENVIRONMENT, Standard.SAFETY])
    return rid, assign(db, rid, type=ActionType.CONTAINMENT)


def test_each_owner_is_asked_by_dm_the_moment_only_their_sign_off_remains_and_reminded(plant, clock):
    rid, aid = two_systems(plant)
    assert not dms(plant, ENVIRONMENT, f"report:{rid}:nudge:%")
    complete_and_verify(plant, aid)
    for owner in (ENVIRONMENT, SAFETY):
        [ask] = dms(plant, owner, f"report:{rid}:nudge:%")
        assert "report_sign_off" in str(ask.payload["blocks"])
    with plant.session() as s:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)
    assert len(dms(plant, SAFETY, f"report:{rid}:nudge:%")) == 1  # not asked again for someone else's sign-off
    clock.advance(timedelta(days=1))
    sweep(plant)
    assert len(dms(plant, SAFETY, f"report:{rid}:nudge:%")) == 2
    assert len(dms(plant, ENVIRONMENT, f"report:{rid}:nudge:%")) == 1
    clock.advance(timedelta(days=3))
    sweep(plant)
    assert events(plant, rid, "waiting_escalated")[0]["people"] == [MANAGER]


def test_a_sign_off_counts_only_for_the_state_its_owner_saw(plant):
    rid, aid = two_systems(plant)
    complete_and_verify(plant, aid)
    with plant.session() as s:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)
    second = assign(plant, rid, type=ActionType.PREVENTIVE)  # a new action after the sign-off
    with plant.session() as s:
        report = service.get(s, rid)
        assert all(t.signed_off_at is None for t in report.standards)
    assert events(plant, rid, "sign_offs_cleared")[0]["people"] == [ENVIRONMENT]
    complete_and_verify(plant, second)
    assert len(dms(plant, ENVIRONMENT, f"report:{rid}:nudge:%")) == 2  # asked again


def test_sign_off_is_offered_and_accepted_only_when_everything_else_is_done(plant):
    from bot.i18n import Reader
    from handlers.reports import cards, labels

    actor(plant, QUALITY)
    rid = stamping(plant, kind=ReportKind.DEFECT, standards=[Standard.QUALITY, Standard.SAFETY])
    aid = assign(plant, rid, type=ActionType.CORRECTION)
    complete_and_verify(plant, aid)  # a defect needs its root cause and a corrective action first
    with plant.session() as s:
        report = service.get(s, rid)
        assert report.status == ReportStatus.CLOSING
        assert "report_sign_off" not in [b["action_id"] for b in cards.card_buttons(report)]
        with pytest.raises(ReportError) as caught:
            service.sign_off(s, actor(plant, QUALITY), rid)
        assert caught.value.key == "reports.error.sign_off_early"
        assert "root cause" in str(labels.status_line(s, report, Reader()))
    assert not dms(plant, QUALITY, f"report:{rid}:nudge:%")


# --- Can't do -----------------------------------------------------------------------------------------

def test_cant_do_tells_the_supervisor_at_once_and_the_card_says_a_new_action_is_needed(plant):
    from bot.i18n import Reader
    from handlers.reports import labels

    rid = stamping(plant)
    aid = assign(plant, rid, by=SAFETY)
    with plant.session() as s:
        corrective.decline_action(s, actor(plant, WORKER), aid, "I am not trained on the press guard")
    [told] = dms(plant, SUPERVISOR, f"report:{rid}:declined:%")
    assert "not trained" in told.payload["text"] and "report_assign" in str(told.payload["blocks"])
    with plant.session() as s:
        line = str(labels.status_line(s, service.get(s, rid), Reader()))
    assert "a new one is needed" in line and "0 of 0" not in line
    with plant.session() as s:
        assert "需要分派新措施" in str(labels.status_line(s, service.get(s, rid), Reader(lang="zh")))


def test_a_supervisors_own_cant_do_goes_to_the_systems_owner(plant):
    rid = stamping(plant)
    aid = assign(plant, rid, by=SAFETY, owner=SUPERVISOR, verifier=SAFETY)
    with plant.session() as s:
        corrective.decline_action(s, actor(plant, SUPERVISOR), aid, "Away next month")
    assert dms(plant, SAFETY, f"report:{rid}:declined:%") and not dms(plant, SUPERVISOR, f"report:{rid}:declined:%")


# --- more time on a high risk ---------------------------------------------------------------------------

def high_risk_action(db) -> tuple[int, int]:
    rid = stamping(db)
    with db.session() as s:
        service.assess_risk(s, actor(db, SUPERVISOR), rid, 4, 4)
    return rid, assign(db, rid, days=3)


def test_more_time_on_a_high_risk_waits_for_the_supervisors_approval(plant):
    rid, aid = high_risk_action(plant)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, WORKER), aid, due + timedelta(days=7), "The guard is on back order")
    with plant.session() as s:
        assert service.get_action(s, aid).due_on == due  # not yet
        with pytest.raises(ReportError):
            corrective.extend_action(s, actor(plant, WORKER), aid, due + timedelta(days=9), "Again")
    [request] = dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")
    assert "back order" in request.payload["text"] and "action_more_time_approve" in str(request.payload["blocks"])
    with plant.session() as s, pytest.raises(NotAllowed):
        corrective.decide_more_time(s, actor(plant, WORKER), aid, True)  # never the owner for themselves
    with plant.session() as s:
        corrective.decide_more_time(s, actor(plant, SUPERVISOR), aid, True)
    with plant.session() as s:
        assert service.get_action(s, aid).due_on == due + timedelta(days=7)
    assert "approved" in dms(plant, WORKER, f"action:{aid}:more_time_decision:%")[0].payload["text"]
    assert events(plant, rid, "more_time_approved")


def more_time_sweep(db) -> int:
    with db.session() as s:
        return more_time.sweep(s)


def request_more_time(db, aid: int, reason: str = "The guard is on back order") -> None:
    with db.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(db, WORKER), aid, due + timedelta(days=7), reason)


def test_a_pending_more_time_request_is_reminded_then_escalated_to_the_manager_then_the_safety_owner(plant, clock, to):
    rid, aid = high_risk_action(plant)  # Monday 09:00; Stamping works 06:00-22:00, the manager 08:00-17:00
    request_more_time(plant, aid)
    assert len(dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")) == 1  # asked at once, with the buttons
    to("2026-11-30 12:50")
    assert more_time_sweep(plant) == 0
    to("2026-11-30 13:10")  # half a working day: the supervisor is reminded, with the buttons again
    assert more_time_sweep(plant) == 1 and more_time_sweep(plant) == 0
    reminder = dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")[-1]
    assert "A reminder" in reminder.payload["text"] and "action_more_time_approve" in str(reminder.payload["blocks"])
    assert events(plant, rid, "waiting_reminded")[-1]["people"] == [SUPERVISOR]
    assert not dms(plant, MANAGER, f"action:{aid}:more_time:%")
    to("2026-11-30 17:10")  # a working day: the manager, who may decide, held for their working hours
    more_time_sweep(plant)
    [told] = dms(plant, MANAGER, f"action:{aid}:more_time:%")
    assert "action_more_time_approve" in str(told.payload["blocks"]) and "<@U0LI>" in told.payload["text"]
    assert told.next_attempt_at.astimezone(SHANGHAI) == datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
    assert not dms(plant, SAFETY, f"action:{aid}:more_time:%")
    to("2026-12-01 09:10")  # two working days: the system's owner, who cannot decide, sees that it is
    more_time_sweep(plant)
    [owner] = dms(plant, SAFETY, f"action:{aid}:more_time:%")
    assert "see that it is decided" in owner.payload["text"] and "action_more_time" not in str(owner.payload)
    assert events(plant, rid, "waiting_escalated")[-1]["people"] == [SAFETY]
    clock.advance(timedelta(days=400))
    assert more_time_sweep(plant) == 1  # then every working day: never silent
    with plant.session() as s:
        corrective.decide_more_time(s, actor(plant, MANAGER), aid, True)
    clock.advance(timedelta(days=30))
    assert more_time_sweep(plant) == 0  # decided: the chain stops


def test_a_more_time_request_stops_being_chased_when_the_action_moves_on(plant, clock):
    rid, aid = high_risk_action(plant)
    request_more_time(plant, aid)
    with plant.session() as s:
        corrective.complete_action(s, actor(plant, WORKER), aid, "Fitted a spare guard", [])
    clock.advance(timedelta(days=10))
    assert more_time_sweep(plant) == 0
    assert not events(plant, rid, "waiting_reminded")


def test_a_supervisors_own_request_is_asked_of_the_manager_and_escalated_to_the_safety_owner(plant, clock):
    rid = stamping(plant)
    with plant.session() as s:
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 4, 4)
    aid = assign(plant, rid, owner=SUPERVISOR, verifier=SAFETY, days=3)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, SUPERVISOR), aid, due + timedelta(days=7), "On leave")
    assert dms(plant, MANAGER, f"action:{aid}:more_time:%") and not dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")
    clock.advance(timedelta(days=3))
    more_time_sweep(plant)
    assert dms(plant, SAFETY, f"action:{aid}:more_time:%")
    assert not dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")  # never asked about their own action


def test_a_request_nobody_above_may_approve_goes_to_the_safety_owner_without_empty_reminders(plant, clock):
    rid = warehouse(plant)  # no supervisor; the action is the only manager's own
    with plant.session() as s:
        service.assess_risk(s, actor(plant, MANAGER), rid, 4, 4)
    aid = assign(plant, rid, by=MANAGER, owner=MANAGER, verifier=SAFETY, days=3)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, MANAGER), aid, due + timedelta(days=7), "Waiting for parts")
    clock.advance(timedelta(days=3))
    more_time_sweep(plant)
    assert not events(plant, rid, "waiting_reminded")  # nobody to remind: no empty line in the thread
    assert events(plant, rid, "waiting_escalated")[0]["people"] == [SAFETY] and dms(plant, SAFETY, f"action:{aid}:%")


def test_refused_more_time_keeps_the_due_date_and_tells_the_owner(plant):
    rid, aid = high_risk_action(plant)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, WORKER), aid, due + timedelta(days=7), "Busy")
    with plant.session() as s:
        corrective.decide_more_time(s, actor(plant, MANAGER), aid, False)
    with plant.session() as s:
        action = service.get_action(s, aid)
        assert action.due_on == due and action.requested_due_on is None
    assert "did not approve" in dms(plant, WORKER, f"action:{aid}:more_time_decision:%")[0].payload["text"]


def test_more_time_on_a_medium_risk_needs_nobody(plant):
    rid = stamping(plant)
    aid = assign(plant, rid)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, WORKER), aid, due + timedelta(days=7), "Parts")
    with plant.session() as s:
        assert service.get_action(s, aid).due_on == due + timedelta(days=7)


# --- rejecting and reopening -----------------------------------------------------------------------------

def test_rejecting_a_hazard_needs_a_reason_the_reporter_reads(plant):
    rid = stamping(plant)
    with plant.session() as s, pytest.raises(InvalidInput) as caught:
        service.reject(s, actor(plant, SUPERVISOR), rid, "not_an_issue", None, "  ")
    assert caught.value.problems == {"note": "reports.invalid.rejection_note"}
    with plant.session() as s:
        service.reject(s, actor(plant, SUPERVISOR), rid, "not_an_issue", None, "The guard was only moved for cleaning")
    assert any("moved for cleaning" in str(m.payload) for m in dms(plant, WORKER, f"report:{rid}:event:%"))
    defect = stamping(plant, kind=ReportKind.DEFECT)
    with plant.session() as s:
        service.reject(s, actor(plant, SUPERVISOR), defect, "not_an_issue", None, None)  # a defect may go without


def test_an_escalated_reports_manager_hears_of_its_rejection_and_it_can_be_reopened(plant):
    rid = stamping(plant)
    with plant.session() as s:
        service.escalate(s, actor(plant, SUPERVISOR), rid)
    with plant.session() as s:
        service.reject(s, actor(plant, SAFETY), rid, "not_an_issue", None, "Checked: the guard is fine")
    assert "Checked: the guard is fine" in dms(plant, MANAGER, f"report:{rid}:rejected:%")[0].payload["text"]
    with plant.session() as s, pytest.raises(NotAllowed):
        service.reopen(s, actor(plant, QUALITY), rid)  # not a system of this report
    with plant.session() as s:
        service.reopen(s, actor(plant, SUPERVISOR), rid)
    assert status(plant, rid) == ReportStatus.TRIAGE
    assert dms(plant, WORKER, f"report:{rid}:event:%:reporter")[-1].payload["text"].count("reopened the report") == 1
    with plant.session() as s, pytest.raises(ReportError):
        service.reopen(s, actor(plant, SUPERVISOR), rid)


# --- root cause, and effectiveness later -----------------------------------------------------------------

def test_a_root_cause_without_an_action_that_removes_it_does_not_close(plant):
    rid = stamping(plant)
    aid = assign(plant, rid, type=ActionType.CONTAINMENT)
    with plant.session() as s:
        service.record_root_cause(s, actor(plant, SUPERVISOR), rid, ["The guard's bolts were loose"],
                                  "Guards are not on the inspection round")
    complete_and_verify(plant, aid)
    assert status(plant, rid) == ReportStatus.CLOSING
    fix = assign(plant, rid, type=ActionType.PREVENTIVE)
    complete_and_verify(plant, fix)
    assert status(plant, rid) == ReportStatus.CLOSED


def closed_report(db) -> int:
    rid = stamping(db)
    complete_and_verify(db, assign(db, rid))
    assert status(db, rid) == ReportStatus.CLOSED
    return rid


def test_effectiveness_is_checked_later_by_the_person_asked_when_it_is_due(plant, clock):
    rid = closed_report(plant)
    with plant.session() as s, pytest.raises(InvalidInput) as caught:
        effectiveness.schedule(s, actor(plant, SUPERVISOR), rid, service.today(s), None)
    assert set(caught.value.problems) == {"due_on", "owner"}
    with plant.session() as s:
        effectiveness.schedule(s, actor(plant, SUPERVISOR), rid, service.today(s) + timedelta(days=30), SAFETY)
    check = lambda: effectiveness.sweep(s)  # noqa: E731
    clock.advance(timedelta(days=29))
    with plant.session() as s:
        assert check() == 0
    clock.advance(timedelta(days=1))
    with plant.session() as s:
        assert check() == 1
    [ask] = dms(plant, SAFETY, f"report:{rid}:effectiveness:%")
    assert "report_not_effective" in str(ask.payload["blocks"])
    clock.advance(timedelta(days=3))
    with plant.session() as s:
        check()
    assert dms(plant, SUPERVISOR, f"report:{rid}:effectiveness:%")  # not answered: the supervisor hears
    with plant.session() as s:
        effectiveness.record(s, actor(plant, SAFETY), rid, False)
    assert status(plant, rid) == ReportStatus.TRIAGE  # back to triage for a new action
    with plant.session() as s, pytest.raises(ReportError):
        effectiveness.record(s, actor(plant, SAFETY), rid, True)


# --- the chains' bookkeeping goes once what they chase is settled ------------------------------------------

def chains(db, rid: int) -> list[str]:
    from storage.models import FollowUp

    with db.session() as s:
        return sorted(s.scalars(select(FollowUp.key).where(FollowUp.report_id == rid)))


def test_a_closed_report_leaves_no_chain_behind(plant, clock):
    rid = stamping(plant)
    clock.advance(timedelta(days=2))
    sweep(plant)  # the untriaged report's reminder
    with plant.session() as s:
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 5, 4)  # critical: an urgent alert, once
    with plant.session() as s:
        service.record_root_cause(s, actor(plant, SUPERVISOR), rid, ["The bolts were loose"], "No inspection round")
    aid = assign(plant, rid, days=1)
    clock.advance(timedelta(days=3))
    with plant.session() as s:
        overdue.sweep(s)  # the overdue action's chain
    assert {k.split(":")[2] for k in chains(plant, rid)} == {"urgent", "waiting", "overdue"}
    with plant.session() as s:
        corrective.complete_action(s, actor(plant, WORKER), aid, "Guard refitted", [])
    assert not [k for k in chains(plant, rid) if k.startswith(f"action:{aid}:")]  # done: nothing chases its owner
    with plant.session() as s:
        corrective.verify_action(s, actor(plant, SUPERVISOR), aid)
    assert status(plant, rid) == ReportStatus.CLOSED and chains(plant, rid) == []


def test_a_rejected_report_and_a_decided_request_leave_no_chain_behind(plant, clock):
    rid, aid = high_risk_action(plant)
    request_more_time(plant, aid)
    assert chains(plant, rid) == [k for k in chains(plant, rid) if k.startswith(f"action:{aid}:more_time:")] != []
    with plant.session() as s:
        corrective.decide_more_time(s, actor(plant, SUPERVISOR), aid, False)
    assert chains(plant, rid) == []
    other = stamping(plant)
    clock.advance(timedelta(days=2))
    sweep(plant)
    assert chains(plant, other)
    with plant.session() as s:
        service.reject(s, actor(plant, SUPERVISOR), other, "not_an_issue", None, "Only moved for cleaning")
    assert chains(plant, other) == []


def test_a_new_step_replaces_the_chain_of_the_step_before(plant, clock):
    rid = stamping(plant)
    clock.advance(timedelta(days=2))
    sweep(plant)
    [triage] = chains(plant, rid)
    with plant.session() as s:
        service.acknowledge(s, actor(plant, SUPERVISOR), rid)
    clock.advance(timedelta(days=2))
    sweep(plant)  # it now needs an action: a new chain, and the old one's row is gone
    [action] = chains(plant, rid)
    assert ":waiting:triage:" in triage and ":waiting:action:" in action


def test_leftover_chains_of_reports_settled_long_ago_are_purged(plant, clock):
    from storage.models import FollowUp

    rid = closed_report(plant)
    checked = closed_report(plant)
    with plant.session() as s:
        effectiveness.schedule(s, actor(plant, SUPERVISOR), checked, service.today(s) + timedelta(days=60), SAFETY)
    live = stamping(plant)
    with plant.session() as s:  # rows forget missed: written before they named their report, or by an old version
        for key, report_id in ((f"report:{rid}:waiting:triage:1", rid), (f"report:{checked}:urgent:injury", checked),
                               (f"report:{live}:waiting:triage:9", live), ("report:999:old", None)):
            s.add(FollowUp(key=key, stage=0, sent_at=clock.now(), report_id=report_id))
    with plant.session() as s:
        assert followup.purge(s) == 0  # closed today: kept a while
    clock.advance(timedelta(days=31))
    with plant.session() as s:
        assert followup.purge(s) == 2
    with plant.session() as s:
        assert sorted(s.scalars(select(FollowUp.report_id))) == [checked, live]  # a check still to come; open


def test_the_purge_is_a_scheduled_job_the_sandbox_does_not_run_on_each_step():
    from bot import domains

    purge = domains.job("follow-up-purge")
    assert purge is not None and purge.run is followup.purge_job and purge.every == timedelta(hours=6)
    assert purge not in domains.time_sweeps()


# --- escalations wait for their reader's working hours; urgent alerts do not ------------------------------

MONDAY_AT_EIGHT = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)  # the manager's next working moment


def held_until(message: OutboxMessage) -> datetime:
    return message.next_attempt_at.astimezone(SHANGHAI)


def test_every_kind_of_escalation_waits_for_the_managers_working_hours(plant, to):
    untriaged = stamping(plant)
    overdue_action = assign(plant, stamping(plant), days=1)
    by_hand, rejected = stamping(plant), stamping(plant)
    to("2026-12-05 10:00")  # Saturday: the manager works mon-fri 08:00-17:00
    sweep(plant)
    with plant.session() as s:
        overdue.sweep(s)
    with plant.session() as s:
        service.escalate(s, actor(plant, SUPERVISOR), by_hand)
        service.escalate(s, actor(plant, SUPERVISOR), rejected)
    with plant.session() as s:
        service.reject(s, actor(plant, SAFETY), rejected, "not_an_issue", None, "Checked: the guard is fine")
    kinds = {f"report:{untriaged}:nudge:%": "an untriaged report", f"action:{overdue_action}:escalation:%": "overdue",
             f"report:{by_hand}:escalated:%": "escalated by hand", f"report:{rejected}:rejected:%": "rejected"}
    for like, kind in kinds.items():
        told = dms(plant, MANAGER, like)
        assert told and all(held_until(m) == MONDAY_AT_EIGHT for m in told), kind


def test_an_injury_escalated_at_the_weekend_reaches_the_manager_at_once(plant, clock, to):
    to("2026-12-05 10:00")
    rid = stamping(plant, kind=ReportKind.INCIDENT, injury_class=InjuryClass.FIRST_AID, description="Cut a finger")
    with plant.session() as s:
        service.escalate(s, actor(plant, SUPERVISOR), rid)
    [told] = dms(plant, MANAGER, f"report:{rid}:escalated:%")
    assert told.next_attempt_at <= clock.now()


# --- asks that went stale say so ---------------------------------------------------------------------------

def settled(db, ask: OutboxMessage) -> dict | None:
    """What an ask DM was updated to once it was no longer needed (None: not updated)."""
    with db.session() as s:
        update = s.scalar(select(OutboxMessage).where(OutboxMessage.key == f"{ask.key}:settled"))
        return update.payload if update else None


def delivered(db, ask: OutboxMessage) -> None:
    with db.session() as s:
        row = s.get(OutboxMessage, ask.id)
        row.status, row.sent_channel, row.sent_ts = "sent", "D0" + (ask.channel or "")[2:], "1.2"


def test_a_cant_do_ask_is_settled_once_a_new_action_is_assigned(plant):
    rid = stamping(plant)
    aid = assign(plant, rid, by=SAFETY)
    with plant.session() as s:
        corrective.decline_action(s, actor(plant, WORKER), aid, "I am not trained on the press guard")
    [told] = dms(plant, SUPERVISOR, f"report:{rid}:declined:%")
    delivered(plant, told)
    assert settled(plant, told) is None
    assign(plant, rid, by=SUPERVISOR, owner=SAFETY, verifier=SUPERVISOR)
    after = settled(plant, told)
    assert after is not None and "report_assign" not in str(after["blocks"])
    assert "not trained" in str(after["blocks"]) and "Nothing more is needed from you" in str(after["blocks"])
    assert "Actions under way" in str(after["blocks"])  # where the report is now


def test_a_more_time_request_is_settled_for_every_approver_once_one_decides(plant, clock):
    rid, aid = high_risk_action(plant)
    with plant.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(plant, WORKER), aid, due + timedelta(days=7), "Busy")
    [request] = dms(plant, SUPERVISOR, f"action:{aid}:more_time:%")
    delivered(plant, request)
    clock.advance(timedelta(hours=5))  # Li is reminded, with the buttons again
    from bot.reports import more_time
    with plant.session() as s:
        more_time.sweep(s)
    reminder = [m for m in dms(plant, SUPERVISOR, f"action:{aid}:more_time:%") if m.id != request.id][0]
    delivered(plant, reminder)
    with plant.session() as s:
        corrective.decide_more_time(s, actor(plant, MANAGER), aid, False)
    for ask in (request, reminder):
        after = settled(plant, ask)
        assert after is not None and "action_more_time_approve" not in str(after["blocks"])


def test_a_sign_off_ask_not_yet_sent_is_withdrawn_and_a_sent_one_loses_its_button(plant, to):
    rid, aid = two_systems(plant)
    to("2026-12-05 10:00")  # Saturday: the asks wait for Monday morning
    complete_and_verify(plant, aid)
    [wang_ask], [liu_ask] = (dms(plant, owner, f"report:{rid}:nudge:%") for owner in (ENVIRONMENT, SAFETY))
    assert wang_ask.status == liu_ask.status == "pending"
    with plant.session() as s:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)  # from the card, before the DM went out
    [wang_ask], [liu_ask] = (dms(plant, owner, f"report:{rid}:nudge:%") for owner in (ENVIRONMENT, SAFETY))
    assert wang_ask.status == "superseded" and settled(plant, wang_ask) is None  # never sent, and never will be
    assert liu_ask.status == "pending"  # still needed
    delivered(plant, liu_ask)  # as if Monday came and it went out
    with plant.session() as s:
        service.sign_off(s, actor(plant, SAFETY), rid)
        assert service.get(s, rid).status == ReportStatus.CLOSED
    after = settled(plant, liu_ask)
    assert after is not None and "report_sign_off" not in str(after["blocks"]) and "Closed" in str(after["blocks"])
