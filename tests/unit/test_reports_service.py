"""The closed loop in the domain: references, who may do what, the state machine, anonymity."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot import audit, clock
from bot.reports import corrective, references, service
from bot.reports.errors import InvalidInput, NotAllowed, ReportError
from storage.models import (
    ActionStatus,
    ActionType,
    Base,
    EvidenceEntry,
    OutboxMessage,
    Report,
    ReportKind,
    ReportStatus,
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


@pytest.fixture
def plant(db):
    load_plant(db)
    return db


# --- references -----------------------------------------------------------------------------------

def test_references_count_per_kind_and_year(plant):
    assert file(plant).report.reference.endswith("-0001")
    second = file(plant).report.reference
    near_miss = file(plant, kind=ReportKind.NEAR_MISS).report.reference
    year = clock.now().year
    assert second == f"HZ-{year}-0002"
    assert near_miss == f"NM-{year}-0001"
    with plant.session() as s:
        assert references.next_reference(s, ReportKind.HAZARD, year + 1) == f"HZ-{year + 1}-0001"


def test_a_rolled_back_filing_gives_its_number_back(plant):
    with pytest.raises(RuntimeError), plant.session() as s:
        references.next_reference(s, ReportKind.DEFECT, 2030)
        raise RuntimeError("the filing failed")
    with plant.session() as s:
        assert references.next_reference(s, ReportKind.DEFECT, 2030) == "QD-2030-0001"


# --- filing ---------------------------------------------------------------------------------------

def test_filing_posts_the_card_calls_the_owners_and_links_each_standard(plant):
    filed = file(plant, kind=ReportKind.ENVIRONMENTAL, standards=[Standard.ENVIRONMENT, Standard.SAFETY],
                 department_id=department_id(plant, "stamping"))
    with plant.session() as s:
        rows = {m.key: m for m in s.scalars(select(OutboxMessage))}
    rid = filed.report.id
    assert rows[f"report:{rid}:card"].channel == "C0STAMP"
    owners = rows[f"report:{rid}:owners"]
    assert owners.thread_key == f"report:{rid}:card"
    assert "<@U0WANG>" in owners.payload["text"] and "<@U0LIU>" in owners.payload["text"]
    assert rows[f"report:{rid}:standard:iso14001"].channel == "C0ENV"
    assert rows[f"report:{rid}:standard:iso45001"].channel == "C0SAFETY"
    assert rows[f"report:{rid}:receipt"].channel == WORKER


def test_a_department_without_a_channel_reports_to_the_triage_channel(plant):
    filed = file(plant, department_id=department_id(plant, "warehouse"))
    assert filed.report.channel_id == "C0TRIAGE"


def test_the_same_submission_files_once(plant):
    first = file(plant, source="view:V1")
    again = file(plant, source="view:V1")
    assert again.already_filed and again.report.id == first.report.id
    with plant.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(Report)) == 1


@pytest.mark.parametrize("fields, problem", [
    ({"description": "  "}, "description"),
    ({"description": "x" * 3001}, "description"),
    ({"kind": ReportKind.INCIDENT}, "injury_class"),
    ({"kind": ReportKind.DEFECT, "anonymous": True}, "anonymous"),
    ({"anonymous": True, "photos": [{"id": "F1", "name": "a.jpg", "permalink": "https://x"}]}, "photos"),
    ({"occurred_at": datetime.now(UTC) + timedelta(days=1)}, "occurred_at"),
])
def test_invalid_reports_name_the_field_and_store_nothing(plant, fields, problem):
    with pytest.raises(InvalidInput) as caught:
        file(plant, **fields)
    assert problem in caught.value.problems
    with plant.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(Report)) == 0
        assert s.scalar(select(text("count(*)")).select_from(OutboxMessage)) == 0


# --- anonymity ------------------------------------------------------------------------------------

def test_an_anonymous_report_stores_no_trace_of_the_reporter(plant):
    reporter = actor(plant, WORKER)
    filed = file(plant, anonymous=True, description="Forklifts speed in aisle 4",
                 department_id=department_id(plant, "stamping"))  # chosen in the form
    assert filed.follow_code and len(filed.follow_code.replace("-", "")) == 8
    rid = filed.report.id
    with plant.session() as s:  # triage asks, the reporter answers with the code
        service.ask_reporter(s, actor(plant, SUPERVISOR), rid, "Which shift?")
    with plant.session() as s:
        service.answer_question(s, service.by_follow_code(s, filed.follow_code.lower()), None, "Night shift")
    complete_and_verify(plant, assign(plant, rid, owner=SAFETY), owner=SAFETY)

    with plant.engine.connect() as conn:
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
                assert reporter.slack_user_id not in repr(dict(row)), f"{table.name} holds the reporter's Slack id"
                if table.name in ("report", "evidence_entry", "report_standard"):
                    for column in person_columns:
                        assert row[column] != reporter.id, f"{table.name}.{column} points at the reporter"
    with plant.session() as s:
        report = s.get(Report, rid)
        assert report.reporter_id is None and report.anonymous and report.follow_code_hash
        assert filed.follow_code not in repr(report.__dict__)


def test_a_wrong_follow_code_finds_nothing(plant):
    file(plant, anonymous=True)
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.by_follow_code(s, "AAAA-AAAA")
    assert caught.value.key == "reports.error.unknown_code"


# --- who may do what ------------------------------------------------------------------------------

TRIAGE_STEPS = {
    "acknowledge": lambda s, a, rid: service.acknowledge(s, a, rid),
    "assess": lambda s, a, rid: service.assess_risk(s, a, rid, 3, 3),
    "reject": lambda s, a, rid: service.reject(s, a, rid, "not_an_issue", None, "The guard is in place"),
    "escalate": lambda s, a, rid: service.escalate(s, a, rid),
    "root_cause": lambda s, a, rid: service.record_root_cause(s, a, rid, ["worn"], "no inspection"),
    "ask": lambda s, a, rid: service.ask_reporter(s, a, rid, "Where exactly?"),
}


@pytest.mark.parametrize("step", TRIAGE_STEPS)
@pytest.mark.parametrize("who", [WORKER, QUALITY, ENVIRONMENT, "U0STRANGER"])
def test_triage_is_refused_to_everyone_else_and_recorded(plant, step, who):
    rid = file(plant, department_id=department_id(plant, "stamping")).report.id  # a safety hazard in stamping
    with plant.session() as s, pytest.raises(NotAllowed):
        TRIAGE_STEPS[step](s, actor(plant, who), rid)
    with plant.session() as s:
        assert s.get(Report, rid).status == ReportStatus.NEW
        decision = audit.decisions(s)[-1]
        assert decision.allowed is False and decision.subject == s.get(Report, rid).reference


@pytest.mark.parametrize("step", TRIAGE_STEPS)
@pytest.mark.parametrize("who", [SUPERVISOR, SAFETY, MANAGER])
def test_triage_is_allowed_to_supervisor_tagged_owner_and_manager(plant, step, who):
    rid = file(plant, department_id=department_id(plant, "stamping")).report.id
    with plant.session() as s:
        TRIAGE_STEPS[step](s, actor(plant, who), rid)
        assert audit.decisions(s)[-1].allowed


def test_only_the_owner_works_on_an_action_and_only_the_verifier_verifies(plant):
    rid = file(plant).report.id
    aid = assign(plant, rid, owner=WORKER, verifier=SAFETY)
    for who in (SUPERVISOR, SAFETY, MANAGER):
        with plant.session() as s, pytest.raises(NotAllowed):
            corrective.complete_action(s, actor(plant, who), aid, "done", [])
    with plant.session() as s:
        corrective.complete_action(s, actor(plant, WORKER), aid, "done", [])
    for who in (WORKER, SUPERVISOR, MANAGER):
        with plant.session() as s, pytest.raises(NotAllowed):
            corrective.verify_action(s, actor(plant, who), aid)
    with plant.session() as s:
        corrective.verify_action(s, actor(plant, SAFETY), aid)


def test_the_verifier_cannot_be_the_owner(plant):
    rid = file(plant).report.id
    with pytest.raises(InvalidInput) as caught:
        assign(plant, rid, owner=SUPERVISOR)  # the assigner verifies by default
    assert caught.value.problems == {"verifier": "reports.invalid.verifier_is_owner"}


# --- the state machine ----------------------------------------------------------------------------

def test_a_report_closes_only_when_every_action_is_verified(plant):
    rid = file(plant).report.id
    with plant.session() as s:
        service.acknowledge(s, actor(plant, SUPERVISOR), rid)
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 2, 3)  # medium: no root cause needed
    first, second = assign(plant, rid), assign(plant, rid, owner=ENVIRONMENT)
    complete_and_verify(plant, first)
    assert status(plant, rid) == ReportStatus.ACTION
    with plant.session() as s:
        corrective.complete_action(s, actor(plant, ENVIRONMENT), second, None, [{"id": "F1", "name": "after.jpg",
                                                                                "permalink": "https://x/f"}])
    with plant.session() as s:
        corrective.reopen_action(s, actor(plant, SUPERVISOR), second, "Still leaking")
    assert status(plant, rid) == ReportStatus.ACTION
    complete_and_verify(plant, second, owner=ENVIRONMENT)
    assert status(plant, rid) == ReportStatus.CLOSED
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 1, 1)
    assert caught.value.key == "reports.error.closed"


def test_done_needs_evidence(plant):
    aid = assign(plant, file(plant).report.id)
    with plant.session() as s, pytest.raises(InvalidInput) as caught:
        corrective.complete_action(s, actor(plant, WORKER), aid, "  ", [])
    assert caught.value.problems == {"note": "reports.invalid.evidence_missing"}


def test_a_high_risk_waits_for_its_root_cause(plant):
    rid = file(plant).report.id
    with plant.session() as s:
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 4, 4)
    complete_and_verify(plant, assign(plant, rid))
    assert status(plant, rid) == ReportStatus.CLOSING
    with plant.session() as s:
        service.record_root_cause(s, actor(plant, SUPERVISOR), rid, ["guard removed", "no interlock"], "No interlock")
    assert status(plant, rid) == ReportStatus.CLOSED


def test_a_high_risk_is_not_closed_on_containment_alone(plant):
    """Find, fix, improve: where the cause must be known, an action must also remove it."""
    rid = file(plant).report.id
    with plant.session() as s:
        service.assess_risk(s, actor(plant, SUPERVISOR), rid, 4, 4)
        service.record_root_cause(s, actor(plant, SUPERVISOR), rid, ["guard removed"], "No interlock")
    complete_and_verify(plant, assign(plant, rid, type=ActionType.CONTAINMENT))
    assert status(plant, rid) == ReportStatus.CLOSING
    complete_and_verify(plant, assign(plant, rid, type=ActionType.PREVENTIVE))
    assert status(plant, rid) == ReportStatus.CLOSED


def test_several_standards_close_after_each_owner_signs_off(plant):
    rid = file(plant, kind=ReportKind.ENVIRONMENTAL, standards=[Standard.ENVIRONMENT, Standard.SAFETY]).report.id
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)
    assert caught.value.key == "reports.error.sign_off_early"
    complete_and_verify(plant, assign(plant, rid))
    assert status(plant, rid) == ReportStatus.CLOSING
    with plant.session() as s, pytest.raises(NotAllowed):
        service.sign_off(s, actor(plant, QUALITY), rid)
    with plant.session() as s:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.sign_off(s, actor(plant, ENVIRONMENT), rid)
    assert caught.value.key == "reports.error.already_signed"
    assert status(plant, rid) == ReportStatus.CLOSING
    with plant.session() as s:
        service.sign_off(s, actor(plant, SAFETY), rid)
    assert status(plant, rid) == ReportStatus.CLOSED


def test_stale_presses_change_nothing(plant):
    rid = file(plant).report.id
    with plant.session() as s:
        service.acknowledge(s, actor(plant, SUPERVISOR), rid)
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.acknowledge(s, actor(plant, SAFETY), rid)
    assert caught.value.key == "reports.error.already_acknowledged"
    aid = assign(plant, rid)
    with plant.session() as s, pytest.raises(ReportError) as caught:
        service.reject(s, actor(plant, SUPERVISOR), rid, "not_an_issue", None, None)
    assert caught.value.key == "reports.error.has_actions"
    complete_and_verify(plant, aid)
    with plant.session() as s, pytest.raises(ReportError) as caught:
        corrective.verify_action(s, actor(plant, SUPERVISOR), aid)
    assert caught.value.key == "reports.error.closed"
    with plant.session() as s:
        kinds = [e.kind for e in s.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == rid))]
    assert kinds == ["filed", "acknowledged", "action_assigned", "action_done", "action_verified", "closed"]


def test_a_duplicate_must_name_another_existing_report(plant):
    first = file(plant).report
    rid = file(plant).report.id
    with plant.session() as s, pytest.raises(InvalidInput):
        service.reject(s, actor(plant, SUPERVISOR), rid, "duplicate", "HZ-1999-0001", None)
    with plant.session() as s:
        service.reject(s, actor(plant, SUPERVISOR), rid, "duplicate", first.reference.lower(), "Same guard")
    assert status(plant, rid) == ReportStatus.REJECTED


def test_a_declined_action_leaves_the_report_open_for_another(plant):
    rid = file(plant).report.id
    aid = assign(plant, rid)
    with plant.session() as s:
        corrective.decline_action(s, actor(plant, WORKER), aid, "Needs a fitter")
        assert s.get(Report, rid).actions[0].status == ActionStatus.DECLINED
    assert status(plant, rid) == ReportStatus.ACTION
    complete_and_verify(plant, assign(plant, rid, owner=SAFETY), owner=SAFETY)
    assert status(plant, rid) == ReportStatus.CLOSED


def test_the_timeline_is_append_only(plant):
    rid = file(plant).report.id
    with pytest.raises(ValueError), plant.session() as s:
        s.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == rid)).first().kind = "edited"


def test_a_busy_home_page_costs_no_more_queries_than_a_quiet_one(plant):
    """App Home lists each action with its report's reference: loaded together, not a query per action."""
    from sqlalchemy import event

    from handlers.home import home_view

    def queries_for_home() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(plant.engine, "before_cursor_execute", listener)
        try:
            with plant.session() as s:
                home_view(s, actor(plant, WORKER))
        finally:
            event.remove(plant.engine, "before_cursor_execute", listener)
        return len(statements)

    assign(plant, file(plant).report.id)
    quiet = queries_for_home()
    for _ in range(5):
        assign(plant, file(plant).report.id)
    assert queries_for_home() == quiet


# --- where a report goes ------------------------------------------------------------------------------

def location_id(db, code: str) -> int:
    from storage.models import Location
    with db.session() as s:
        return s.scalar(select(Location.id).where(Location.code == code))


def test_a_location_names_its_department_and_an_anonymous_report_never_defaults_to_the_reporters(plant):
    booth = file(plant, WORKER, description="paint drums open", location_id=location_id(plant, "paintbooth"))
    assert booth.report.department_id == department_id(plant, "painting") and booth.report.channel_id == "C0PAINT"
    own = file(plant, WORKER, description="guard missing")  # named, nowhere said: the reporter's department
    assert own.report.department_id == department_id(plant, "stamping")
    anonymous = file(plant, WORKER, anonymous=True, description="forklifts speed in the dock",
                     location_id=location_id(plant, "dock"))  # the dock names no department
    assert anonymous.report.department_id is None and anonymous.report.channel_id == "C0TRIAGE"
    anonymous_booth = file(plant, WORKER, anonymous=True, location_id=location_id(plant, "paintbooth"))
    assert anonymous_booth.report.channel_id == "C0PAINT"


def test_an_anonymous_report_is_stored_as_filed_within_the_hour_only(plant):
    named = file(plant, WORKER)
    anonymous = file(plant, WORKER, anonymous=True, department_id=department_id(plant, "stamping"))
    with plant.session() as s:
        filed_at = s.scalar(select(EvidenceEntry.written_at).where(EvidenceEntry.report_id == anonymous.report.id))
        named_at = s.scalar(select(EvidenceEntry.written_at).where(EvidenceEntry.report_id == named.report.id))
        stored = s.get(Report, anonymous.report.id).created_at
    assert (stored.minute, stored.second, stored.microsecond) == (0, 0, 0) == (filed_at.minute, filed_at.second,
                                                                              filed_at.microsecond)
    assert named_at.replace(tzinfo=None) >= stored.replace(tzinfo=None)


# --- checks made from a read, before a form is answered --------------------------------------------

def test_a_check_from_a_read_writes_nothing_and_hands_its_refusal_to_the_caller(plant):
    """The same check runs before the answer (from a read) and in the save: from the read it locks and
    writes nothing, and the refusal's audit decision is kept for the caller to record after the answer."""
    report = file(plant).report
    draft = service.ActionDraft(type=ActionType.CORRECTIVE, owner_slack_id=WORKER, description="Refit the guard",
                                due_on=clock.now().date() + timedelta(days=3))
    with plant.read() as s:
        assert service.check_assign_action(s, actor(plant, SUPERVISOR), report.id, draft).id == report.id
        with pytest.raises(NotAllowed):
            service.check_assign_action(s, actor(plant, WORKER), report.id, draft)
        decisions = audit.deferred(s)
    assert [(d.step, d.allowed) for d in decisions] == [("report.assign_action", True),
                                                          ("report.assign_action", False)]
    with plant.read() as s:
        assert audit.decisions(s) == []
    assert status(plant, report.id) == ReportStatus.NEW
