"""Controlled procedures, the domain's rules without Slack: who owes which version after publishing, a minor and a
major revision, a joiner and a move, renewal; acknowledgments with the check, recorded as evidence; coverage."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot import clock
from bot.org import people
from bot.org.rules import Invalid
from bot.procedures import acks, coverage, distribution, reminders, service
from bot.procedures.acks import Outcome
from bot.procedures.values import Audience, ProcedureDraft, QuestionDraft
from bot.reports.errors import NotAllowed, ReportError
from storage.models import (
    Acknowledgment,
    AckStatus,
    Department,
    EvidenceEntry,
    OutboxMessage,
    Person,
    Procedure,
    ProcedureStatus,
    Role,
    RoleAssignment,
    Standard,
)
from tests.unit.reports_world import MANAGER, SAFETY, SUPERVISOR, WORKER, actor, load_plant

QUESTION = QuestionDraft("Before you reach into the press, you…", "把手伸进压机之前，你应该……",
                         (("ask a colleague to watch", "请同事看着"), ("lock it out and tag it", "上锁挂牌")), 1,
                         "Only your own lock keeps the press from starting.", "只有你自己的锁才能防止压机启动。")


def loto(**changes) -> ProcedureDraft:
    values = dict(code="SOP-EHS-007", version="1.0", title_en="Lockout/tagout", title_zh="上锁挂牌",
                  summary_en="Stop the machine.\nLock every energy source.\nTry to start it.",
                  summary_zh="停机。\n锁定每个能源。\n尝试启动。", owner=SAFETY, standards=(Standard.SAFETY,),
                  audience=Audience(departments=("stamping",)), effective_on=date(2026, 11, 30),
                  document_url="https://docs.example.com/loto.pdf", questions=(QUESTION,))
    values.update(changes)
    return ProcedureDraft(**values)


@pytest.fixture
def plant(db):
    load_plant(db)
    return db


def publish(db, draft: ProcedureDraft, who: str = SAFETY):
    someone = actor(db, who)
    with db.session() as s:
        version = service.save_draft(s, someone, draft)
        return service.publish(s, someone, version.id).asked


def owed(db) -> dict[str, tuple[str, str]]:
    with db.read() as s:
        return {p.slack_user_id: (a.status.value, a.version.version) for a, p in s.execute(
            select(Acknowledgment, Person).join(Person, Acknowledgment.person_id == Person.id)
            .where(Acknowledgment.required.is_(True)))}


def test_publishing_asks_exactly_the_audience_each_with_a_card(plant):
    assert publish(plant, loto()) == 2  # Zhang Wei and Li Na work in Stamping
    assert owed(plant) == {WORKER: ("pending", "1.0"), SUPERVISOR: ("pending", "1.0")}
    with plant.read() as s:
        cards = list(s.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("ack:"))))
        assert sorted(c.channel for c in cards) == sorted([WORKER, SUPERVISOR])
        assert s.scalar(select(func.count()).select_from(EvidenceEntry).where(
            EvidenceEntry.kind == "procedure_published")) == 1


def test_a_worker_may_not_publish_and_the_refusal_is_recorded(plant):
    worker = actor(plant, WORKER)
    with plant.session() as s, pytest.raises(NotAllowed):  # refused inside the unit of work: its record stays
        service.save_draft(s, worker, loto())
    with plant.read() as s:
        assert s.scalar(select(EvidenceEntry.kind).where(EvidenceEntry.domain == "access")) == "refused"


def test_a_version_is_published_once(plant):
    publish(plant, loto())
    owner = actor(plant, SAFETY)
    with pytest.raises(Invalid) as problems, plant.session() as s:
        service.save_draft(s, owner, loto())
    assert problems.value.problems["version"].key == "version_published"


def test_an_audience_that_matches_nobody_is_refused(plant):
    owner = actor(plant, SAFETY)
    with pytest.raises(Invalid) as problems, plant.session() as s:
        version = service.save_draft(s, owner, loto(audience=Audience(departments=("warehouse",))))
        service.publish(s, owner, version.id)
    assert problems.value.problems["audience"].key == "audience_nobody"


def test_the_check_must_be_answered_right_and_every_attempt_is_evidence(plant):
    publish(plant, loto())
    assert acknowledge(plant, WORKER, (0,)) == Outcome.WRONG
    assert acknowledge(plant, WORKER, (1,)) == Outcome.ACKNOWLEDGED
    assert acknowledge(plant, WORKER, (1,)) == Outcome.ALREADY
    with plant.read() as s:
        kinds = list(s.scalars(select(EvidenceEntry.kind).where(EvidenceEntry.domain == "procedures")
                               .order_by(EvidenceEntry.id)))
        record = s.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "procedure_acknowledged"))
        ack = s.scalar(select(Acknowledgment).join(Person).where(Person.slack_user_id == WORKER))
    assert kinds[-3:] == ["check_answered", "check_answered", "procedure_acknowledged"]
    assert record.detail["department"] == "stamping" and record.detail["roles"] == ["worker"]
    assert record.detail["check"] == {"questions": 1, "attempts": 2} and record.detail["language"] == "en"
    assert record.detail["attestation"] == ("I have read and understood SOP-EHS-007 “Lockout/tagout”, version 1.0, "
                                            "and I will work by it.")
    assert len(record.detail["content_hash"]) == 64
    assert ack.status == AckStatus.ACKNOWLEDGED and ack.first_try is False


def acknowledge(db, who: str, answers=(1,)) -> Outcome:
    someone = actor(db, who)
    with db.session() as s:
        version_id = service.in_force(service.get(s, "SOP-EHS-007")).id
        return acks.acknowledge(s, someone, version_id, answers).outcome


def revise(db, *, major: bool, version: str) -> int:
    owner = actor(db, SAFETY)
    with db.session() as s:
        draft = service.revise(s, owner, "SOP-EHS-007", major=major)
        assert draft.version == version
        service.save_draft(s, owner, loto(version=version, change_note_en="Also the air line.",
                                          change_note_zh="也包括气路。", major=major))
        return service.publish(s, owner, draft.id).asked


def test_a_minor_revision_asks_nobody_who_acknowledged_a_major_one_asks_everyone(plant):
    publish(plant, loto())
    acknowledge(plant, WORKER)
    assert revise(plant, major=False, version="1.1") == 1  # only Li Na, who had not acknowledged 1.0 yet
    assert owed(plant) == {WORKER: ("acknowledged", "1.0"), SUPERVISOR: ("pending", "1.1")}
    assert revise(plant, major=True, version="2.0") == 2
    assert owed(plant) == {WORKER: ("pending", "2.0"), SUPERVISOR: ("pending", "2.0")}
    with plant.read() as s:
        assert coverage.total(s).acknowledged == 0  # earlier acknowledgments stop counting
        assert s.get(Acknowledgment, 1).acknowledged_version_id is not None  # what changed since is shown


def test_a_superseded_card_is_refused_and_the_current_one_offered(plant):
    publish(plant, loto())
    with plant.read() as s:
        old = service.in_force(service.get(s, "SOP-EHS-007")).id
    revise(plant, major=True, version="2.0")
    worker = actor(plant, WORKER)
    with plant.session() as s:
        result = acks.acknowledge(s, worker, old, (1,))
    assert result.outcome == Outcome.SUPERSEDED and result.version.version == "2.0"
    with plant.read() as s:
        offered = list(s.scalars(select(OutboxMessage).where(OutboxMessage.key.contains(":again:"))))
    assert [m.channel for m in offered] == [WORKER, WORKER]  # a line saying why, then the card in force
    assert "superseded" in offered[0].payload["text"] and "2.0" in offered[1].payload["text"]


def test_a_joiner_and_a_move_get_theirs_with_their_own_deadline(plant, clock):
    publish(plant, loto())
    clock.advance(timedelta(days=3))
    with plant.session() as s:
        newcomer = people.register_or_refresh(s, "U0NEW", None)
        newcomer.department = s.scalar(select(Department).where(Department.code == "stamping"))
        zhao = people.find(s, MANAGER)
        zhao.department = s.scalar(select(Department).where(Department.code == "stamping"))
    with plant.session() as s:
        assert distribution.reconcile(s) == 2
    with plant.read() as s:
        rows = {p.slack_user_id: a for a, p in s.execute(select(Acknowledgment, Person).join(Person))}
    assert rows["U0NEW"].reason == "joined" and rows[MANAGER].reason == "moved"
    assert rows["U0NEW"].due_on == rows[WORKER].due_on + timedelta(days=3)


def test_renewal_makes_it_owed_again(plant, clock):
    publish(plant, loto(renew_months=12))
    acknowledge(plant, WORKER)
    clock.advance(timedelta(days=366))
    with plant.session() as s:
        assert distribution.renew(s) == 1
    assert owed(plant)[WORKER] == ("pending", "1.0")


def test_coverage_counts_required_acknowledged_and_first_try(plant):
    publish(plant, loto())
    acknowledge(plant, WORKER, (1,))
    with plant.read() as s:
        line = coverage.total(s)
        (by_dept,) = coverage.summary(s).by_department
        missing = coverage.missing(s)
    assert (line.required, line.acknowledged, line.checked, line.first_try) == (2, 1, 1, 1)
    assert by_dept.percent == 50 and line.pass_rate == 100
    assert [m.slack_user_id for m in missing] == [SUPERVISOR]


def test_reminders_then_the_supervisor_then_the_owner(plant, clock):
    publish(plant, loto(deadline_days=1))
    with plant.session() as s:
        s.execute(RoleAssignment.__table__.delete().where(RoleAssignment.role == Role.SUPERVISOR))
    seen = []
    for _ in range(12):
        clock.advance(timedelta(days=1))
        with plant.session() as s:
            seen.append(reminders.sweep(s))
    assert sum(r["reminded"] for r in seen) >= 2
    assert sum(r["escalated"] for r in seen) >= 1


def test_retiring_withdraws_the_version(plant):
    publish(plant, loto())
    owner = actor(plant, SAFETY)
    with plant.session() as s:
        service.retire(s, owner, "SOP-EHS-007")
    assert owed(plant) == {}
    with plant.session() as s:
        assert service.get(s, "SOP-EHS-007").versions[0].status == ProcedureStatus.RETIRED
        with pytest.raises(ReportError):
            service.retire(s, owner, "SOP-EHS-007")


def test_the_owner_is_reminded_before_the_review_date_and_an_overdue_review_stays_on_their_home(plant, clock):
    from bot.procedures import review
    from handlers.procedures import home

    publish(plant, loto(review_by=date(2026, 12, 20)))  # 20 days ahead: within the month's reminder
    with plant.session() as s:
        assert review.sweep(s) == 1
        assert review.sweep(s) == 0  # once
    clock.advance(timedelta(days=14))  # 6 days before: the week's reminder
    with plant.session() as s:
        assert review.sweep(s) == 1
    clock.advance(timedelta(days=7))  # passed
    with plant.session() as s:
        assert review.sweep(s) == 1
        texts = [str(item["text"]) for item in home.waiting(s, actor(plant, SAFETY))]
    assert any("Review of *SOP-EHS-007*" in t and "overdue" in t for t in texts)
    with plant.read() as s:
        told = [m.payload["text"] for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.key.contains(":review:")).order_by(OutboxMessage.id))]
    assert "in 20 days" in told[0] and "in 6 days" in told[1] and "is overdue" in told[2]


def test_coverage_on_a_seeded_plant_counts_each_department_and_procedure(plant):
    """30 people over three departments, two procedures for everyone; a known share acknowledges each: the
    totals, the lines by procedure and by department, and a supervisor's view of their own department."""
    with plant.session() as s:
        departments = {d.code: d for d in s.scalars(select(Department))}
        for n in range(30):
            code = ("stamping", "painting", "warehouse")[n % 3]
            s.add(Person(slack_user_id=f"U9{n:04d}", name_en=f"Person {n}", created_at=clock.now(),
                         department_id=departments[code].id))
    publish(plant, loto(audience=Audience(everyone=True)))
    publish(plant, loto(code="SOP-ENV-003", audience=Audience(everyone=True), questions=()))
    with plant.session() as s:
        loto_id = service.in_force(service.get(s, "SOP-EHS-007")).id
        spill_id = service.in_force(service.get(s, "SOP-ENV-003")).id
        seeded = list(s.scalars(select(Person).where(Person.slack_user_id.startswith("U9")).order_by(Person.id)))
        for n, person in enumerate(seeded):
            someone = people.actor_of(person, people.organisation(s))
            if n % 2 == 0:  # 15 read lockout/tagout, the first 5 of them after a wrong answer
                if n < 10:
                    acks.acknowledge(s, someone, loto_id, (0,))
                acks.acknowledge(s, someone, loto_id, (1,))
            if n % 3 == 0:  # 10 read the spill procedure: all of them in Stamping
                acks.acknowledge(s, someone, spill_id, ())
    with plant.read() as s:
        found = coverage.summary(s)
        stamping = s.scalar(select(Department.id).where(Department.code == "stamping"))
        supervisor = coverage.summary(s, departments=[stamping])
        procedures = {s.get(Procedure, line.id).code: line for line in found.by_procedure}
        by_department = {line.id: line for line in found.by_department}
    everyone = 30 + 6  # the seeded people and the demo plant's six
    assert (found.total.required, found.total.acknowledged) == (2 * everyone, 25)
    assert (procedures["SOP-EHS-007"].acknowledged, procedures["SOP-EHS-007"].pass_rate) == (15, 67)
    assert (procedures["SOP-ENV-003"].acknowledged, procedures["SOP-ENV-003"].pass_rate) == (10, None)
    assert by_department[stamping].acknowledged == 5 + 10 and by_department[stamping].required == 2 * (10 + 2)
    assert replace(supervisor.total, id=stamping) == by_department[stamping]
