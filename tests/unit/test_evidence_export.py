"""The auditor's export: every sheet matches the database row for row, every hash the chain's seals, filters keep
what they say, both languages, anonymous reporters stay unnamed, and the CLI writes the file."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.cli import main
from bot.evidence import clauses, export
from bot.evidence import log as evidence
from bot.evidence.export import ExportRequest, plain_text
from bot.evidence.verify import verify
from bot.reports import service
from storage.chain import GENESIS, link_hash
from storage.models import (
    ActionType,
    CorrectiveAction,
    EvidenceEntry,
    EvidenceSeal,
    InjuryClass,
    Organisation,
    Report,
    ReportKind,
    Standard,
)
from tests.unit.reports_world import (
    SUPERVISOR,
    WORKER,
    actor,
    assign,
    complete_and_verify,
    department_id,
    file,
    load_plant,
)


@pytest.fixture
def world(db, clock):
    """A plant with a closed-loop hazard, a quality defect, an anonymous near miss, an environmental issue in
    Painting a day later, and a permission decision: every domain the export shows."""
    load_plant(db)
    hazard = file(db, description="Guard missing on press 3", standards=[Standard.SAFETY]).report
    with db.session() as s:
        service.acknowledge(s, actor(db, SUPERVISOR), hazard.id)
    with db.session() as s:
        service.assess_risk(s, actor(db, SUPERVISOR), hazard.id, 4, 3)
    action = assign(db, hazard.id, owner=WORKER, verifier=SUPERVISOR, type=ActionType.CORRECTIVE)
    complete_and_verify(db, action)
    with db.session() as s:
        service.record_root_cause(s, actor(db, SUPERVISOR), hazard.id, ["The guard was removed for cleaning"],
                                  "Cleaning steps do not say to refit the guard")
    file(db, SUPERVISOR, kind=ReportKind.DEFECT, description="=SUM(A1) burrs on bracket 7",
         standards=[Standard.QUALITY])
    file(db, kind=ReportKind.NEAR_MISS, description="Forklift nearly hit me in aisle 4", anonymous=True)
    clock.advance(timedelta(days=1))
    file(db, kind=ReportKind.ENVIRONMENTAL, description="Oil leak under press 3",
         department_id=department_id(db, "painting"), standards=[Standard.ENVIRONMENT, Standard.SAFETY])
    with db.session() as s:
        from bot import audit

        audit.record(s, actor(db, WORKER).id, "report.assess_risk", hazard.reference, allowed=False)
    return db


def workspace_of(db) -> int:
    with db.read() as s:
        return s.scalar(select(Organisation.id))


def run(db, **fields) -> tuple[bytes, export.ExportSummary]:
    out = io.BytesIO()
    summary = export.write(db, workspace_of(db), ExportRequest(**fields), out)
    return out.getvalue(), summary


def xlsx_rows(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def csv_sheets(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert all(z.read(n).startswith("\ufeff".encode()) for n in z.namelist())  # BOM: Excel reads it as UTF-8
        return {n.removesuffix(".csv"): list(csv.reader(io.StringIO(z.read(n).decode("utf-8-sig"))))
                for n in z.namelist()}


def seals(db, domain: str | None = None) -> list[tuple]:
    with db.read() as s:
        query = (select(EvidenceSeal.seq, EvidenceEntry.id, EvidenceSeal.content_hash, EvidenceSeal.prev_hash,
                        EvidenceSeal.hash).join(EvidenceEntry, EvidenceEntry.id == EvidenceSeal.entry_id)
                 .order_by(EvidenceSeal.seq))
        if domain:
            query = query.where(EvidenceEntry.domain == domain)
        return [tuple(r) for r in s.execute(query)]


# -- row for row, hash for hash --------------------------------------------------------------------------------

def test_the_workbook_matches_the_database_row_for_row(world):
    data, summary = run(world)
    sheets = xlsx_rows(data)
    assert list(sheets) == ["Reports", "Actions", "Timeline", "Evidence log", "Flags"]
    assert summary.filename == "triad-export-2026-12-01.xlsx" and summary.media_type.endswith(".sheet")
    with world.read() as s:
        reports = list(s.scalars(select(Report).order_by(Report.id)))
        actions = list(s.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id)))
    assert [r[0] for r in sheets["Reports"][1:]] == [r.reference for r in reports]
    assert [(r[0], r[1]) for r in sheets["Actions"][1:]] == [(a.report.reference, a.number) for a in actions]
    timeline = [(r[0], r[1], r[13], r[14], r[15]) for r in sheets["Timeline"][1:]]
    assert timeline == seals(world, "reports")
    assert [(r[0], r[1], r[17], r[18], r[19]) for r in sheets["Evidence log"][1:]] == seals(world)
    assert summary.rows == {"reports": 4, "actions": 1, "timeline": len(timeline), "evidence": len(seals(world)),
                            "flags": 0}
    heading = sheets["Reports"][0]
    hazard = dict(zip(heading, sheets["Reports"][1], strict=True))
    assert hazard["Kind"] == "Hazard" and hazard["Status"] == "closed"
    assert hazard["Risk level"] == "High" and (hazard["Likelihood"], hazard["Severity"]) == (4, 3)
    assert hazard["Reporter"] == "Zhang Wei" and hazard["Department"] == "Stamping"
    assert hazard["5 whys"] == "1. The guard was removed for cleaning"
    assert hazard["ISO clauses"] == "ISO 45001 6.1.2.1; ISO 45001 5.4; ISO 45001 6.1.2.2"
    filing = next(s for s in seals(world, "reports") if s[1] == min(e for _, e, *_ in seals(world, "reports")))
    assert (hazard["Filing entry seq"], hazard["Filing entry hash"]) == (filing[0], filing[4])
    with world.read() as s:
        latest = s.scalar(select(EvidenceSeal.hash).join(EvidenceEntry, EvidenceEntry.id == EvidenceSeal.entry_id)
                          .where(EvidenceEntry.report_id == reports[0].id, EvidenceEntry.domain == "reports")
                          .order_by(EvidenceSeal.seq.desc()).limit(1))
    assert hazard["Latest entry hash"] == latest
    assert isinstance(hazard["Filed (Asia/Shanghai)"], datetime)  # a real date, not text
    assert hazard["Filed (Asia/Shanghai)"].replace(microsecond=0) == datetime(2026, 11, 30, 9, 0)


def test_an_action_carries_its_verification_entry_and_who_verified_it(world):
    sheets = xlsx_rows(run(world, sheets=("actions",))[0])
    heading, row = sheets["Actions"]
    action = dict(zip(heading, row, strict=True))
    with world.read() as s:
        verified = s.execute(select(EvidenceSeal.seq, EvidenceSeal.hash).join(
            EvidenceEntry, EvidenceEntry.id == EvidenceSeal.entry_id).where(
            EvidenceEntry.kind == "action_verified")).one()
    assert (action["Seq of its verification (else latest) entry"],
            action["Hash of its verification (else latest) entry"]) == tuple(verified)
    assert action["Verified by"] == "Li Na" and action["Owner"] == "Zhang Wei"
    assert action["Type"] == "Corrective action" and action["Status"] == "verified effective"
    assert isinstance(action["Due date"], datetime)  # openpyxl reads a date cell as a datetime
    assert "ISO 45001 10.2 d)" in action["ISO clauses"] and "ISO 45001 10.2 f)" in action["ISO clauses"]


def test_the_evidence_csv_lets_an_auditor_recompute_every_hash(world):
    sheets = csv_sheets(run(world, format="csv")[0])
    assert set(sheets) == set(export.SHEETS)
    heading, *rows = sheets["evidence"]
    previous = GENESIS
    for row in rows:
        r = dict(zip(heading, row, strict=True))

        def number(key: str, r: dict[str, str] = r) -> int | None:
            return int(r[key]) if r[key] else None

        content = {"v": 1, "id": int(r["Entry"]), "workspace": workspace_of(world),
                   "written_at": r["Written (UTC)"], "stated_at": r["Stated (UTC)"] or None,
                   "backdated": r["Back-dated"] == "yes", "actor": number("Actor id"), "domain": r["Domain"],
                   "kind": r["Kind"], "subject": r["Subject"] or None, "report": number("Report id"),
                   "action": number("Action id"), "corrects": number("Corrects entry"),
                   "detail": json.loads(r["Detail (canonical JSON)"])}
        recomputed = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False).encode()).hexdigest()
        assert recomputed == r["Content hash"]
        assert r["Previous hash"] == previous
        assert r["Hash"] == link_hash(int(r["Seq"]), previous, recomputed)
        previous = r["Hash"]
    with world.read() as s:
        walked = verify(s)
    assert walked.intact and (walked.head_seq, walked.head_hash) == (int(rows[-1][0]), rows[-1][-1])


def test_the_timeline_reads_as_sentences_in_plain_text(world):
    sheets = csv_sheets(run(world, format="csv", sheets=("timeline", "evidence"))[0])
    assert set(sheets) == {"timeline", "evidence"}
    heading, *rows = sheets["timeline"]
    said = [dict(zip(heading, r, strict=True)) for r in rows]
    assigned = next(r for r in said if r["Kind"] == "action_assigned")
    assert assigned["What happened"].startswith("Li Na assigned action 1, Corrective action, to Zhang Wei, due ")
    assert "<@" not in assigned["What happened"] and "*" not in assigned["What happened"]
    assessed = next(r for r in said if r["Kind"] == "risk_assessed")
    assert assessed["What happened"] == "Li Na assessed the risk: High (likelihood 4 × severity 3)."
    assert assessed["ISO clauses"] == "ISO 45001 6.1.2.2"
    root = next(r for r in said if r["Kind"] == "root_cause")
    assert root["ISO clauses"] == "ISO 45001 10.2 b)"
    assert assigned["Action"] == "1" and assigned["Report"].startswith("HZ-")
    assert assigned["Written (UTC)"].startswith("2026-11-30T01:00:0") and assigned["Written (UTC)"].endswith("Z")
    assert assigned["Written (Asia/Shanghai)"].startswith("2026-11-30 09:00:0")
    assert [r["Who"] for r in said if r["Kind"] == "filed"][:2] == ["Zhang Wei", "Li Na"]


def test_a_single_sheet_in_csv_is_one_csv_file(world):
    data, summary = run(world, format="csv", sheets=("reports",))
    assert summary.filename.endswith(".csv") and summary.media_type == "text/csv"
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert "'=SUM(A1) burrs on bracket 7" in rows[2]  # a spreadsheet would run it: quoted, not a formula


def test_text_that_looks_like_a_formula_stays_text_in_the_workbook(world):
    sheets = xlsx_rows(run(world, sheets=("reports",))[0])
    assert sheets["Reports"][2][4] == "=SUM(A1) burrs on bracket 7"


# -- anonymity -------------------------------------------------------------------------------------------------

def test_an_anonymous_report_names_no_one(world):
    sheets = xlsx_rows(run(world)[0])
    near_miss = next(r for r in sheets["Reports"][1:] if r[0].startswith("NM-"))
    assert near_miss[21] == "anonymous"
    timeline = [r for r in sheets["Timeline"][1:] if r[2] == near_miss[0]]
    assert timeline and all(r[8] == "anonymous reporter" for r in timeline)
    everything = [cell for sheet in sheets.values() for row in sheet for cell in row if row[0] == near_miss[0]
                  or (len(row) > 2 and row[2] == near_miss[0])]
    assert not any(isinstance(cell, str) and ("Zhang" in cell or "张伟" in cell) for cell in everything)
    zh = xlsx_rows(run(world, language="zh")[0])
    assert next(r for r in zh["报告"][1:] if r[0] == near_miss[0])[21] == "匿名"


# -- filters ---------------------------------------------------------------------------------------------------

def test_a_period_is_of_whole_days_in_the_workspace_zone(world):
    first_day = xlsx_rows(run(world, until=date(2026, 11, 30))[0])
    assert [r[0][:2] for r in first_day["Reports"][1:]] == ["HZ", "QD", "NM"]
    assert len(first_day["Actions"]) == 2
    second_day = xlsx_rows(run(world, since=date(2026, 12, 1), until=date(2026, 12, 1))[0])
    assert [r[0][:2] for r in second_day["Reports"][1:]] == ["EN"]
    assert {r[2][:2] for r in second_day["Timeline"][1:]} == {"EN"} and len(second_day["Actions"]) == 1
    assert {r[8] for r in second_day["Evidence log"][1:]} == {"reports", "access"}
    in_utc = xlsx_rows(run(world, until=date(2026, 11, 29), timezone="America/Los_Angeles")[0])
    assert len(in_utc["Reports"]) == 4  # 09:00 in Shanghai is still the 29th in Los Angeles


def test_a_standard_keeps_the_reports_tagged_to_it_and_their_entries(world):
    sheets = xlsx_rows(run(world, standard=Standard.ENVIRONMENT)[0])
    assert [r[0][:2] for r in sheets["Reports"][1:]] == ["EN"]
    assert {r[2][:2] for r in sheets["Timeline"][1:]} == {"EN"}
    assert {r[10][:2] for r in sheets["Evidence log"][1:]} == {"EN"}  # no set-up or permission entries
    safety = xlsx_rows(run(world, standard=Standard.SAFETY)[0])
    assert [r[0][:2] for r in safety["Reports"][1:]] == ["HZ", "NM", "EN"] and len(safety["Actions"]) == 2


def test_a_department_keeps_its_reports(world):
    sheets = xlsx_rows(run(world, department_id=department_id(world, "painting"))[0])
    assert [r[0][:2] for r in sheets["Reports"][1:]] == ["EN"] and len(sheets["Actions"]) == 1


def test_a_request_that_cannot_be_exported_says_why(world):
    for bad, words in (({"sheets": ("reports", "audits")}, "no sheet audits"), ({"format": "pdf"}, "no format"),
                       ({"since": date(2026, 12, 2), "until": date(2026, 12, 1)}, "ends"),
                       ({"timezone": "Mars/Olympus"}, "no time zone")):
        with pytest.raises(export.ExportError, match=words):
            run(world, **bad)


# -- both languages --------------------------------------------------------------------------------------------

def test_chinese_headings_and_words(world):
    sheets = xlsx_rows(run(world, language="zh")[0])
    assert list(sheets) == ["报告", "措施", "时间线", "证据日志", "标记"]
    heading = sheets["报告"][0]
    hazard = dict(zip(heading, sheets["报告"][1], strict=True))
    assert hazard["类型"] == "隐患" and hazard["风险等级"] == "较大风险（橙色）" and hazard["报告人"] == "张伟"
    assert hazard["所涉体系"] == "ISO 45001 职业健康安全"
    timeline = dict(zip(sheets["时间线"][0], sheets["时间线"][3], strict=True))
    assert timeline["经过"].startswith("李娜") and timeline["补记"] == "否"
    assert "写入时间（Asia/Shanghai）" in sheets["时间线"][0]


# -- flags -----------------------------------------------------------------------------------------------------

def test_a_back_dating_burst_stands_out_with_the_entries_it_covers(world, clock):
    with world.read() as s:
        covered = list(s.scalars(select(EvidenceEntry.id).where(EvidenceEntry.kind == "filed")
                                 .order_by(EvidenceEntry.id)))[:2]
    with world.session() as s:
        evidence.append(s, "evidence", "backdating_burst", detail={
            "count": 2, "since": "2026-11-30T01:00:00Z", "until": "2026-11-30T02:00:00Z", "entries": covered})
    with world.session() as s:
        evidence.append(s, "evidence", "break_found", detail={"count": 1, "breaks": [["edited", 3, covered[0]]],
                                                              "finding": "f" * 64})
    data, summary = run(world)
    sheets = xlsx_rows(data)
    assert summary.rows["flags"] == 3
    flags = sheets["Flags"][1:]
    assert [(r[2], r[8]) for r in flags[:2]] == [("back-dating burst: 2 entries", c) for c in covered]
    assert flags[0][4] == datetime(2026, 11, 30, 1, 0) and flags[0][6] == 2
    assert flags[2][2] == "chain break found" and flags[2][6] == 1
    assert json.loads(flags[2][13])["breaks"] == [["edited", 3, covered[0]]]
    burst_seq = flags[0][0]
    timeline = {r[1]: r for r in sheets["Timeline"][1:]}
    assert timeline[covered[0]][12] == f"in the back-dating burst at seq {burst_seq}"
    log = {r[1]: r for r in sheets["Evidence log"][1:]}
    assert log[flags[0][1]][16] == "back-dating burst: 2 entries"
    book = openpyxl.load_workbook(io.BytesIO(data))
    row = next(r for r in book["Timeline"].iter_rows(min_row=2) if r[1].value == covered[0])
    assert row[0].fill.fgColor.rgb.endswith("FCE4D6")  # highlighted
    quiet = next(r for r in book["Timeline"].iter_rows(min_row=2) if r[1].value not in covered)
    assert quiet[0].fill.fgColor.rgb in (None, "00000000")
    filtered = xlsx_rows(run(world, standard=Standard.QUALITY)[0])
    assert [r[2] for r in filtered["Flags"][1:]] == ["back-dating burst: 2 entries", "chain break found"]


def test_a_back_dated_entry_says_so(world, clock):
    file(world, kind=ReportKind.INCIDENT, description="Cut on the hand last week", injury_class=InjuryClass.FIRST_AID,
         occurred_at=clock.now() - timedelta(days=10))
    rows = xlsx_rows(run(world, sheets=("timeline",))[0])["Timeline"]
    last = next(r for r in rows[1:] if r[2].startswith("IN-") and r[10] == "filed")
    assert last[7] == "yes" and last[12] == "back-dated"
    assert last[6].replace(microsecond=0) == datetime(2026, 11, 21, 9, 0)


def test_how_someone_was_hurt_is_withheld_from_those_who_may_not_see_it(world):
    from bot.evidence.permissions import may_see_injuries
    from tests.unit.reports_world import MANAGER, QUALITY, SAFETY

    file(world, kind=ReportKind.INCIDENT, description="Cut on the hand", injury_class=InjuryClass.FIRST_AID)
    assert [may_see_injuries(actor(world, who)) for who in (MANAGER, SAFETY, QUALITY)] == [True, True, False]
    shown = xlsx_rows(run(world, sheets=("reports",))[0])["Reports"]
    withheld = xlsx_rows(run(world, sheets=("reports",), injuries=False)[0])["Reports"]
    column = shown[0].index("Injury")
    assert [r[column] for r in shown[1:] if r[0].startswith("IN-")] == ["First aid"]
    assert [r[column] for r in withheld[1:] if r[0].startswith("IN-")] == [
        "(withheld: shown to managers and the safety owner)"]


# -- the formats' limits ---------------------------------------------------------------------------------------

def test_a_sheet_longer_than_a_worksheet_goes_on_in_another(world, monkeypatch):
    monkeypatch.setattr(export, "XLSX_ROWS", 6)
    data, summary = run(world, sheets=("timeline",))
    sheets = xlsx_rows(data)
    assert list(sheets)[:2] == ["Timeline", "Timeline (2)"]
    assert sum(len(rows) - 1 for rows in sheets.values()) == summary.rows["timeline"]
    assert all(rows[0][0] == "Seq" for rows in sheets.values())


def test_mrkdwn_becomes_plain_text():
    names = {"U0LI": "Li Na"}
    assert plain_text(":white_check_mark: *Li Na* gave <@U0LI> a task in <#C1> &amp; <https://x|the doc>: "
                      "a_b c*d &lt;5&gt; at 09:00", names) == "Li Na gave Li Na a task in #C1 & the doc: a_b c*d <5> " \
                                                            "at 09:00"
    assert plain_text("<@U0NOBODY> _(shortened)_", names) == "@U0NOBODY (shortened)"


def test_clauses_name_each_standards_own_numbering():
    assert clauses.shown(clauses.for_report(ReportKind.DEFECT, [Standard.QUALITY])) == "ISO 9001 8.7; ISO 9001 10.2"
    both = [Standard.QUALITY, Standard.SAFETY]
    assert clauses.shown(clauses.for_entry("reports", "root_cause", ReportKind.INCIDENT, both)) == \
        "ISO 9001 10.2.1 b); ISO 45001 10.2 b)"
    assert clauses.shown(clauses.for_entry("reports", "action_verified", None, list(Standard))) == \
        "ISO 9001 10.2.1 d); ISO 14001 10.2 d); ISO 45001 10.2 f)"
    assert clauses.shown(clauses.for_entry("org", "setup.admins")) == "ISO 9001/14001/45001 5.3"
    assert clauses.shown(clauses.for_entry("org", "org_file_loaded")) == "ISO 9001/14001/45001 5.3"
    assert clauses.shown(clauses.for_entry("training", "quiz.passed")) == "ISO 9001/14001/45001 7.2; " \
                                                                           "ISO 9001/14001/45001 7.3"
    assert "ISO 45001 8.1.2" in clauses.shown(clauses.for_action(ActionType.PREVENTIVE, True, [Standard.SAFETY]))
    every = {kind for kind in clauses.REPORT_ENTRY}
    from bot.i18n import catalog

    assert every <= {k.removeprefix("reports.event.") for k in catalog("en") if k.startswith("reports.event.")}


# -- the command line ------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(world, monkeypatch, database_url):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return world


def test_the_cli_writes_the_file_its_extension_names(cli_env, tmp_path, capsys):
    out = tmp_path / "audit.xlsx"
    assert main(["export", "--out", str(out), "--standard", "safety", "--lang", "zh"]) == 0
    sheets = xlsx_rows(out.read_bytes())
    assert [r[0][:2] for r in sheets["报告"][1:]] == ["HZ", "NM", "EN"]
    assert "audit.xlsx" in capsys.readouterr().out
    zipped = tmp_path / "audit.zip"
    assert main(["export", "--out", str(zipped), "--what", "timeline,reports", "--since", "2026-12-01",
                 "--department", "painting"]) == 0
    sheets = csv_sheets(zipped.read_bytes())
    assert set(sheets) == {"reports", "timeline"} and [r[0][:2] for r in sheets["reports"][1:]] == ["EN"]
    one = tmp_path / "timeline.csv"
    assert main(["export", "--out", str(one), "--what", "timeline"]) == 0
    assert len(list(csv.reader(io.StringIO(one.read_text(encoding="utf-8-sig"))))) == len(seals(cli_env, "reports")) + 1


@pytest.mark.parametrize(("args", "words"), [
    (["--since", "2026-13-01"], "--since: 2026-13-01 is not a date"),
    (["--since", "2026-12-02", "--until", "2026-12-01"], "ends"),
    (["--standard", "iso9002"], "--standard: no standard iso9002"),
    (["--department", "nowhere"], "--department: no department nowhere"),
    (["--what", "reports,audits"], "no sheet audits"),
    (["--out", "x.pdf"], "--out: x.pdf"),
    (["--out", "x.csv", "--what", "reports,actions"], ".zip"),
    (["--team", "T0NOPE"], "T0NOPE"),
])
def test_the_cli_refuses_bad_input_in_one_line(cli_env, tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing half written


def test_the_cli_runs_as_a_process(cli_env, tmp_path, database_url):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    out = tmp_path / "all.xlsx"
    done = subprocess.run([sys.executable, "-m", "bot", "export", "--out", str(out)], env={
        **env, "DATABASE_URL": database_url}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(xlsx_rows(out.read_bytes())["Timeline"]) == len(seals(cli_env, "reports")) + 1


def test_anonymous_filing_time_is_the_hour_in_the_export_too(world):
    rows = xlsx_rows(run(world, sheets=("timeline",))[0])["Timeline"]
    filed = next(r for r in rows[1:] if r[2].startswith("NM-") and r[10] == "filed")
    assert filed[4] == datetime(2026, 11, 30, 1, 0) and filed[8] == "anonymous reporter"
    assert datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # stored to the hour: nothing finer to export


def test_an_entry_written_around_triad_is_exported_unsealed_and_flagged(world, clock):
    from sqlalchemy import insert

    with world.session() as s:  # an INSERT by hand: no commit of Triad's seals it
        s.execute(insert(EvidenceEntry).values(organisation_id=workspace_of(world), written_at=clock.now(),
                                               domain="reports", kind="closed", subject="HZ-2026-0001", detail={}))
    sheets = xlsx_rows(run(world, sheets=("timeline", "evidence"))[0])
    for sheet, flags in (("Timeline", 12), ("Evidence log", 16)):
        last = sheets[sheet][-1]
        assert last[0] is None and last[flags] == "not sealed by Triad" and last[-1] is None
    assert [r[0] for r in sheets["Evidence log"][1:-1]] == [s[0] for s in seals(world)]


def test_the_cli_help_names_every_sheet():
    from bot.cli import _parser

    what = next(a for a in _parser()._subparsers._group_actions[0].choices["export"]._actions
                if a.dest == "what")
    assert what.help.split(": ")[1].split(" (")[0].split(", ") == list(export.SHEETS)


def test_a_detail_longer_than_a_cell_is_cut_in_the_workbook_and_whole_in_csv(world):
    with world.session() as s:
        evidence.append(s, "evidence", "backdating_burst", detail={"count": 1, "entries": [], "note": "x" * 40_000})
    log = xlsx_rows(run(world, sheets=("evidence",))[0])["Evidence log"]
    assert len(log[-1][14]) == export.XLSX_CELL and log[-1][14].endswith("…")
    heading, *rows = csv_sheets(run(world, format="csv", sheets=("evidence", "flags"))[0])["evidence"]
    assert json.loads(rows[-1][14])["note"] == "x" * 40_000
