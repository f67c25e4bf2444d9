"""The evidence log cannot be made up: every step is sealed into a hash chain, and whoever edits, deletes or inserts
a record in the database behind Triad's back is named by ``verify``, precisely."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot import audit
from bot.cli import main as cli
from bot.clock import bound
from bot.evidence import backdating, heads, watch
from bot.evidence.verify import PublishedHead, verify
from storage.chain import content_hash, link_hash
from storage.models import EvidenceEntry, EvidenceHead, EvidenceSeal, OutboxMessage
from tests.unit.reports_world import (
    SAFETY,
    SUPERVISOR,
    WORKER,
    actor,
    assign,
    complete_and_verify,
    file,
    load_plant,
)


@pytest.fixture
def plant(db):
    load_plant(db)
    return db


def a_closed_loop(db) -> int:
    rid = file(db).report.id
    complete_and_verify(db, assign(db, rid, owner=WORKER, verifier=SUPERVISOR))
    return rid


def walked(db, published=()):
    with db.read() as s:
        return verify(s, published)


def behind_triads_back(db, sql: str, **values) -> None:
    """A statement run straight on the database, as someone with its password would: on PostgreSQL as a
    superuser who first switches the log's append-only trigger off (the replica role skips triggers)."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), values)


def entry_ids(db) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(EvidenceEntry.id).order_by(EvidenceEntry.id)))


# --- every step sealed --------------------------------------------------------------------------------------

def test_every_step_of_a_closed_loop_is_sealed_in_order_and_the_chain_is_intact(plant):
    a_closed_loop(plant)
    with plant.read() as s:
        entries = s.scalar(select(func.count()).select_from(EvidenceEntry))
        seqs = list(s.scalars(select(EvidenceSeal.seq).order_by(EvidenceSeal.entry_id)))
        head = s.scalar(select(EvidenceHead))
        kinds = set(s.scalars(select(EvidenceEntry.kind)))
    assert seqs == list(range(1, entries + 1)) and head.seq == entries
    assert {"filed", "action_assigned", "action_done", "action_verified", "closed", "allowed"} <= kinds
    result = walked(plant)
    assert result.intact and result.entries == entries and result.head_hash == head.hash


def test_a_refusal_is_evidence_too(plant):
    rid = file(plant).report.id
    from bot.reports import service
    from bot.reports.errors import NotAllowed

    with plant.session() as s, pytest.raises(NotAllowed):
        service.acknowledge(s, actor(plant, WORKER), rid)
    with plant.read() as s:
        refused = audit.decisions(s)[-1]
    assert (refused.step, refused.allowed) == ("report.acknowledge", False)
    assert walked(plant).intact


def test_a_rolled_back_step_leaves_no_seal_behind(plant):
    rid = file(plant).report.id
    before = walked(plant).entries
    with pytest.raises(RuntimeError), plant.session() as s:
        from bot.reports import service

        service.acknowledge(s, actor(plant, SUPERVISOR), rid)
        raise RuntimeError("the step fails after writing its entry")
    result = walked(plant)
    assert result.intact and result.entries == before


def test_an_entry_states_when_it_happened_apart_from_when_it_was_written(plant, clock):
    long_ago = clock.now() - timedelta(days=10)
    rid = file(plant, occurred_at=long_ago).report.id
    recent = file(plant, occurred_at=clock.now() - timedelta(days=1)).report.id
    with plant.read() as s:
        filed = {e.report_id: e for e in s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "filed"))}
    assert filed[rid].stated_at == long_ago and filed[rid].written_at > long_ago and filed[rid].backdated
    assert not filed[recent].backdated


# --- verify names each break ----------------------------------------------------------------------------------

def test_an_edited_entry_is_named(plant):
    a_closed_loop(plant)
    victim = entry_ids(plant)[2]
    behind_triads_back(plant, "UPDATE evidence_entry SET kind = 'edited' WHERE id = :id", id=victim)
    result = walked(plant)
    assert [(b.kind, b.entry_id) for b in result.breaks] == [("edited", victim)]
    assert result.breaks[0].seq == 3


def test_a_backdated_time_written_over_is_named(plant, clock):
    rid = file(plant).report.id
    behind_triads_back(plant, "UPDATE evidence_entry SET written_at = :t WHERE report_id = :r",
                       t=clock.now() - timedelta(days=30), r=rid)
    assert {b.kind for b in walked(plant).breaks} == {"edited"}


def test_a_deleted_entry_is_named(plant):
    a_closed_loop(plant)
    victim = entry_ids(plant)[1]
    behind_triads_back(plant, "DELETE FROM evidence_entry WHERE id = :id", id=victim)
    assert [(b.kind, b.seq, b.entry_id) for b in walked(plant).breaks] == [("deleted", 2, victim)]


def test_a_deleted_entry_and_its_seal_leave_a_gap(plant):
    a_closed_loop(plant)
    victim = entry_ids(plant)[3]
    behind_triads_back(plant, "DELETE FROM evidence_seal WHERE entry_id = :id", id=victim)
    behind_triads_back(plant, "DELETE FROM evidence_entry WHERE id = :id", id=victim)
    breaks = walked(plant).breaks
    assert [(b.kind, b.seq) for b in breaks] == [("missing", 5)] and "seq 4 is missing" in breaks[0].note


def test_an_inserted_entry_is_named(plant, clock):
    a_closed_loop(plant)
    with plant.read() as s:
        workspace = s.scalar(select(EvidenceEntry.organisation_id))
    behind_triads_back(plant, "INSERT INTO evidence_entry (organisation_id, written_at, backdated, domain, kind, "
                              "detail) VALUES (:o, :t, :b, 'reports', 'filed', '{}')",
                       o=workspace, t=clock.now() - timedelta(days=40), b=False)
    inserted = max(entry_ids(plant))
    assert [(b.kind, b.entry_id) for b in walked(plant).breaks] == [("inserted", inserted)]


def test_removing_the_latest_entries_is_named(plant):
    a_closed_loop(plant)
    last = entry_ids(plant)[-2:]
    for entry_id in last:
        behind_triads_back(plant, "DELETE FROM evidence_seal WHERE entry_id = :id", id=entry_id)
        behind_triads_back(plant, "DELETE FROM evidence_entry WHERE id = :id", id=entry_id)
    breaks = walked(plant).breaks
    assert [b.kind for b in breaks] == ["truncated"]


def test_a_chain_rebuilt_from_an_edit_onwards_is_caught_by_a_head_published_before(plant):
    """The whole chain recomputed after an edit matches itself; only a head kept outside the database shows it."""
    a_closed_loop(plant)
    published = [PublishedHead(walked(plant).head_seq, walked(plant).head_hash)]
    victim = entry_ids(plant)[0]
    behind_triads_back(plant, "UPDATE evidence_entry SET detail = :d WHERE id = :id",
                       d=json.dumps({"anonymous": True}), id=victim)
    _reseal_everything(plant)
    assert walked(plant).intact  # consistent with itself...
    breaks = walked(plant, published).breaks
    assert [(b.kind, b.seq) for b in breaks] == [("rewritten", published[0].seq)]  # ...but not with its past


def _reseal_everything(db) -> None:
    with db.read() as s:
        rows = list(s.execute(select(EvidenceSeal.seq, *EvidenceEntry.__table__.c).join(
            EvidenceEntry, EvidenceEntry.id == EvidenceSeal.entry_id).order_by(EvidenceSeal.seq)))
    previous = "0" * 64
    for row in rows:
        entry_hash = content_hash(row)
        hashed = link_hash(row.seq, previous, entry_hash)
        behind_triads_back(db, "UPDATE evidence_seal SET content_hash = :c, prev_hash = :p, hash = :h "
                               "WHERE entry_id = :id", c=entry_hash, p=previous, h=hashed, id=row.id)
        previous = hashed
    behind_triads_back(db, "UPDATE evidence_head SET hash = :h", h=previous)


def test_the_log_refuses_to_be_changed_in_place(plant):
    rid = file(plant).report.id
    with pytest.raises(ValueError, match="append-only"), plant.session() as s:
        s.scalars(select(EvidenceEntry).where(EvidenceEntry.report_id == rid)).first().kind = "edited"
    if plant.engine.dialect.name == "postgresql":  # and the database itself, whoever asks
        for sql in ("UPDATE evidence_entry SET kind = 'edited'", "DELETE FROM evidence_entry",
                    "DELETE FROM evidence_seal", "TRUNCATE evidence_entry CASCADE"):
            with pytest.raises(Exception, match="append-only"), plant.engine.begin() as conn:
                conn.execute(text(sql))
    assert walked(plant).intact


def test_steps_committed_at_once_take_turns_in_the_chain(plant, clock):
    reports = [file(plant).report.id for _ in range(6)]
    errors: list[BaseException] = []
    def acknowledge(rid: int) -> None:
        from bot.reports import service

        try:
            with bound(clock), plant.session() as s:
                service.acknowledge(s, actor(plant, SUPERVISOR), rid)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=acknowledge, args=(rid,)) for rid in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and walked(plant).intact


def test_loading_the_organisation_file_is_recorded_with_every_role_given(plant):
    with plant.read() as s:
        loaded = s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "org_file_loaded")).one()
    assert loaded.domain == "org" and loaded.subject == "org.yml"
    assert [WORKER, "worker", None, None] in loaded.detail["roles"]
    assert [SAFETY, "owner", None, "iso45001"] in loaded.detail["roles"]


def test_two_workspaces_keep_chains_of_their_own(plant):
    from storage.models import Organisation

    file(plant)
    with plant.session() as s:
        s.add(Organisation(name="Lakeside", language="en", timezone="UTC", team_id="T0LAKE"))
    with plant.session() as s:
        lakeside = s.scalar(select(Organisation.id).where(Organisation.team_id == "T0LAKE"))
    with plant.session(lakeside) as s:
        audit.record(s, None, "report.view", "HZ-2026-0001", allowed=False)
    with plant.read(lakeside) as s:
        theirs = verify(s)
    assert theirs.intact and theirs.entries == 1
    with plant.read(lakeside - 1 if lakeside > 1 else 1) as s:
        assert verify(s).intact


# --- back-dated bursts ------------------------------------------------------------------------------------------

def test_a_burst_of_backdated_records_is_flagged_to_the_system_owners_once(plant, clock):
    weeks_ago = clock.now() - timedelta(days=14)
    for _ in range(backdating.BURST - 1):
        file(plant, occurred_at=weeks_ago)
    with plant.session() as s:
        assert backdating.flag(s) is None  # four late reports are not a burst
    clock.advance(timedelta(hours=5))
    file(plant, occurred_at=weeks_ago)
    with plant.session() as s:
        burst = backdating.flag(s)
        assert burst is not None and burst.detail["count"] == backdating.BURST
    with plant.session() as s:
        assert backdating.flag(s) is None  # flagged once
        told = list(s.scalars(select(OutboxMessage.channel).where(OutboxMessage.key.like("evidence:%:burst:%"))))
    assert SAFETY in told and "U0CHEN" in told and WORKER not in told
    assert walked(plant).intact


def test_late_reports_spread_over_weeks_are_no_burst(plant, clock):
    for _ in range(backdating.BURST + 2):
        file(plant, occurred_at=clock.now() - timedelta(days=10))
        clock.advance(timedelta(days=2))
    with plant.session() as s:
        assert backdating.flag(s) is None


# --- the scheduled check, and the published head ---------------------------------------------------------------

def test_a_break_found_on_schedule_is_recorded_and_told_to_the_admins_once(harness):
    rid = file(harness.db).report.id
    with harness.db.read() as s:
        first = s.scalar(select(EvidenceEntry.id).where(EvidenceEntry.report_id == rid))
        seq = s.scalar(select(EvidenceSeal.seq).where(EvidenceSeal.entry_id == first))
    behind_triads_back(harness.db, "UPDATE evidence_entry SET detail = '{}' WHERE id = :id", id=first)
    harness.clock.run(watch.verify_job, harness.runtime)
    harness.clock.run(watch.verify_job, harness.runtime)  # the same finding again: told once
    harness.deliver()
    admin_dms = [m for m in harness.emulator.dm_messages("U0ZHAO") if "tampered" in m.get("text", "")]
    assert len(admin_dms) == 1 and "a record was edited after it was written" in admin_dms[0]["text"]
    with harness.db.read() as s:
        found = s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "break_found")).all()
    assert len(found) == 1 and found[0].detail["breaks"] == [["edited", seq, first]]


def test_the_head_is_written_to_a_file_each_day_it_moved_and_handed_to_the_admins_after_a_week(db, settings, clock,
                                                                                       tmp_path, monkeypatch):
    from sandbox.harness import Harness

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    heads_file = tmp_path / "heads.jsonl"
    h = Harness(replace(settings, evidence_heads_file=str(heads_file)), clock=clock).start(migrate_db=False)
    try:
        file(h.db)
        h.clock.run(heads.publish_job, h.runtime)
        h.clock.run(heads.publish_job, h.runtime)  # unmoved: nothing more
        for _ in range(7):  # a week of records, a line each day; the admins get the first seal after the week
            clock.advance(timedelta(days=1))
            file(h.db)
            h.clock.run(heads.publish_job, h.runtime)
        h.deliver()
        lines = [json.loads(line) for line in heads_file.read_text().splitlines()]
        assert [line["seq"] for line in lines] == sorted({line["seq"] for line in lines}) and len(lines) == 8
        told = [m["text"] for m in h.emulator.dm_messages("U0ZHAO") if "seal of the evidence log" in m["text"]]
        assert len(told) == 1 and lines[-1]["hash"] in told[0], (told, lines)
        assert cli(["evidence", "verify", "--heads", str(heads_file)]) == 0
        behind_triads_back(h.db, "DELETE FROM evidence_seal WHERE seq = :s", s=lines[-1]["seq"])
        assert cli(["evidence", "verify", "--heads", str(heads_file)]) == 1
    finally:
        h.stop()


def test_verify_on_the_command_line_lists_each_break(plant, capsys, monkeypatch, tmp_path):
    a_closed_loop(plant)
    monkeypatch.setenv("DATABASE_URL", plant.url)
    monkeypatch.setenv("TRIAD_EVIDENCE_HEADS", str(tmp_path / "none-yet.jsonl"))
    assert cli(["evidence", "verify"]) == 0
    assert "intact." in capsys.readouterr().out
    victim = entry_ids(plant)[0]
    behind_triads_back(plant, "DELETE FROM evidence_entry WHERE id = :id", id=victim)
    assert cli(["evidence", "verify"]) == 1
    out = capsys.readouterr().out
    assert "1 break(s):" in out and f"deleted: seq 1 entry {victim}" in out



def test_a_correction_is_a_new_entry_naming_the_one_it_corrects(plant):
    from bot.reports import service

    rid = file(plant).report.id
    for likelihood in (2, 4):
        with plant.session() as s:
            service.assess_risk(s, actor(plant, SUPERVISOR), rid, likelihood, 3)
    with plant.read() as s:
        first, second = s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "risk_assessed")
                                  .order_by(EvidenceEntry.id)).all()
    assert (first.corrects_id, second.corrects_id) == (None, first.id)
    assert (first.detail["likelihood"], second.detail["likelihood"]) == (2, 4)  # the first as it was written
