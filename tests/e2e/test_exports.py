"""Exports from Slack, through signed requests and the emulator: `/triad export` opens the form for those who may,
the submission is accepted after its answer, and the file arrives by DM through the outbox, made by the real
``bot.evidence.export.write`` and uploaded with Slack's external upload flow."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import audit, blockkit
from bot.evidence.requests import OFFERED, sheets_of
from bot.evidence.values import ExportForm
from bot.gateway import FileUpload, SlackGateway
from bot.i18n import Reader, render
from handlers.evidence import forms
from sandbox.emulator import UPLOAD_METHOD
from sandbox.harness import BOT_TOKEN
from storage.models import EvidenceHead, OutboxMessage, Person, Report

WORKER, QUALITY, MANAGER = "U0ZHANG", "U0CHEN", "U0ZHAO"
TODAY = date(2026, 11, 30)  # the suite's Monday, in Shanghai


def dumped(thing) -> str:
    return json.dumps(thing, ensure_ascii=False)


def open_form(h, user: str = MANAGER) -> dict:
    assert h.driver.slash(user, "/triad", "export").status == 200
    return h.emulator.wait_for(lambda: h.emulator.open_modal(user), description=f"the export form for {user}")


def shared_files(h, user: str) -> list[dict]:
    """The messages in the user's DM that share a file."""
    h.deliver()
    return [m for m in h.emulator.dm_messages(user) if m.get("files")]


def file_report(h, words: str = "guard missing on press 3") -> Report:
    assert h.driver.slash(WORKER, "/report", f"hazard {words}").status == 200
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER), description="the report form")
    assert h.driver.submit(WORKER, {}).status == 200
    h.deliver()
    with h.db.read() as s:
        return s.scalars(select(Report).order_by(Report.id.desc())).first()


def export_decisions(h) -> list[audit.Decision]:
    with h.db.read(h.organisation("T0TRIAD")) as s:
        return [d for d in audit.decisions(s) if d.step == "evidence.export"]


def cells(workbook_bytes: bytes) -> dict[str, list[list[str]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    return {sheet.title: [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


# --- the form ----------------------------------------------------------------------------------------

def test_the_form_offers_what_period_standard_department_and_format_within_block_kit_limits(harness):
    form = open_form(harness)
    assert form["title"]["text"] == "Export evidence"
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert [o["value"] for o in blocks["sheets"]["element"]["options"]] == ["reports", "actions", "timeline",
                                                                           "evidence"]
    assert blocks["since"]["element"]["initial_date"] == (TODAY - timedelta(days=90)).isoformat() == "2026-09-01"
    assert blocks["until"]["element"]["initial_date"] == "2026-11-30"
    assert blocks["standard"]["optional"] and blocks["department"]["optional"]
    assert [o["value"] for o in blocks["format"]["element"]["options"]] == ["xlsx", "csv"]
    assert ExportForm.decode(form["private_metadata"]) is not None
    with harness.db.read(harness.organisation("T0TRIAD")) as s:
        for lang in ("en", "zh"):
            assert blockkit.problems(forms.export_form(s, Reader(lang), ExportForm.new()), "modal") == []


def test_a_worker_is_refused_in_their_language_and_the_refusal_is_recorded(harness):
    h = harness
    assert h.driver.slash(WORKER, "/triad", "export").status == 200
    refusal = h.emulator.wait_for(lambda: h.emulator.ephemerals(WORKER), description="the refusal")
    assert "管理者、体系负责人或管理员" in dumped(refusal)
    assert h.emulator.open_modal(WORKER) is None
    decisions = export_decisions(h)
    assert [(d.allowed, d.subject) for d in decisions] == [(False, "form")]


def test_help_lists_the_export_for_those_who_may(harness):
    h = harness
    for user in (MANAGER, QUALITY, WORKER):
        assert h.driver.slash(user, "/triad", "help").status == 200
    h.emulator.wait_for(lambda: len(h.emulator.ephemerals()) >= 3, description="three answers")
    assert "/triad export" in dumped(h.emulator.ephemerals(MANAGER))
    assert "/triad export" in dumped(h.emulator.ephemerals(QUALITY))
    assert "/triad export" not in dumped(h.emulator.ephemerals(WORKER))


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"since": "2026-11-01", "until": "2026-10-01"}, "since", "is after"),
    ({"until": "2026-12-25"}, "until", "future"),
    ({"sheets": []}, "sheets", "at least one"),
])
def test_bad_input_is_answered_inline_and_changes_nothing(harness, values, field, words):
    h = harness
    open_form(h)
    with h.db.read() as s:
        outbox_before = len(s.scalars(select(OutboxMessage)).all())
    decisions_before = export_decisions(h)
    answer = h.driver.submit(MANAGER, values)
    assert answer.json["response_action"] == "errors"
    assert words in answer.json["errors"][field]
    assert h.emulator.open_modal(MANAGER) is not None  # it stays open
    h.deliver()
    with h.db.read() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == outbox_before
    assert export_decisions(h) == decisions_before


def test_an_owner_who_lost_the_role_before_sending_the_form_is_refused_there_and_it_is_recorded(harness):
    h = harness
    open_form(h, QUALITY)
    workspace = h.organisation("T0TRIAD")
    with h.db.session(workspace) as s:  # the set-up took the quality system from Chen meanwhile
        chen = s.scalar(select(Person).where(Person.slack_user_id == QUALITY))
        for role in list(chen.roles):
            s.delete(role)
    answer = h.driver.submit(QUALITY, {})
    assert answer.json["response_action"] == "update"
    assert "a manager, a system owner or an administrator" in dumped(answer.json["view"])
    h.deliver()
    assert shared_files(h, QUALITY) == []
    assert [(d.allowed, d.subject) for d in export_decisions(h)] == [(True, "form"), (False, "request")]


# --- the file by DM ------------------------------------------------------------------------------------

def test_a_manager_gets_the_xlsx_by_dm_with_the_period_and_the_chain_head(harness):
    h = harness
    report = file_report(h)
    open_form(h)
    assert h.driver.submit(MANAGER, {}).json is None  # the defaults: everything, the last 90 days, XLSX
    assert h.emulator.open_modal(MANAGER) is None
    h.deliver()
    dms = h.emulator.dm_messages(MANAGER)
    assert any("being prepared" in m.get("text", "") for m in dms)
    (shared,) = shared_files(h, MANAGER)
    (file,) = shared["files"]
    assert file["name"] == "triad-evidence-2026-09-01_2026-11-30.xlsx"
    with h.db.read(h.organisation("T0TRIAD")) as s:
        head = s.get(EvidenceHead, h.organisation("T0TRIAD"))
    assert "2026-09-01" in shared["text"] and "2026-11-30" in shared["text"]
    assert head.hash[:16] in shared["text"]
    sheets = cells(h.emulator.file_content(file["id"]))
    assert len(sheets) == len(sheets_of(OFFERED))  # a sheet each, the log's flags with the log
    assert any(report.reference in row for rows in sheets.values() for row in rows)
    assert [(d.allowed, d.subject) for d in export_decisions(h)] == [(True, "form"), (True, "request")]


def test_csv_of_one_sheet_for_a_standard_opens_with_the_reports_rows(harness):
    h = harness
    report = file_report(h)
    open_form(h)
    assert h.driver.submit(MANAGER, {"sheets": ["reports"], "format": "csv", "standard": "iso45001"}).json is None
    (shared,) = shared_files(h, MANAGER)
    (file,) = shared["files"]
    assert file["name"] == "triad-evidence-2026-09-01_2026-11-30.csv"
    content = h.emulator.file_content(file["id"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert any(report.reference in row for row in rows[1:])


def test_csv_of_several_sheets_is_a_zip_of_one_csv_each(harness):
    h = harness
    file_report(h)
    open_form(h)
    assert h.driver.submit(MANAGER, {"sheets": ["reports", "timeline"], "format": "csv"}).json is None
    (shared,) = shared_files(h, MANAGER)
    (file,) = shared["files"]
    assert file["name"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(h.emulator.file_content(file["id"]))) as bundle:
        assert len(bundle.namelist()) == 2
        assert all(name.endswith(".csv") for name in bundle.namelist())


def test_in_chinese_the_form_and_the_dms_are_chinese(harness):
    h = harness
    assert h.driver.slash(MANAGER, "/triad", "language zh").status == 200
    form = open_form(h)
    assert form["title"]["text"] == "导出证据"
    assert "报告" in dumped(form["blocks"])
    assert h.driver.submit(MANAGER, {"sheets": ["reports"]}).json is None
    h.deliver()
    assert any("正在准备您的导出文件" in m.get("text", "") for m in h.emulator.dm_messages(MANAGER))
    (shared,) = shared_files(h, MANAGER)
    assert "这是您的证据导出文件" in shared["text"] and "2026-09-01 至 2026-11-30" in shared["text"]


def upload_row(h) -> tuple[str, bool]:
    with h.db.read() as s:
        row = s.execute(select(OutboxMessage.status, OutboxMessage.ambiguous)
                        .where(OutboxMessage.operation == "upload")).one()
    return row[0], row[1]


def due_again(h, rounds: int = 1) -> None:
    """What waits for its back-off is due now; deliver it."""
    for _ in range(rounds):
        with h.db.session() as s:
            for owed in s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
                owed.next_attempt_at = owed.created_at
        h.deliver()


def test_during_an_outage_the_file_waits_and_arrives_once_after(harness):
    h = harness
    h.runtime.worker.stop()
    file_report(h)
    h.deliver()
    open_form(h)
    h.emulator.fail("503")  # Slack goes down as the form is sent
    assert h.driver.submit(MANAGER, {"sheets": ["reports"]}).json is None
    h.deliver()
    due_again(h)
    assert shared_files(h, MANAGER) == []
    assert upload_row(h)[0] == "pending"
    h.emulator.heal()
    with h.db.session() as s:  # the "being prepared" DM is retried first, and Slack answers again
        s.scalar(select(OutboxMessage).where(OutboxMessage.key.endswith(":preparing"))).next_attempt_at = \
            h.clock.now()
    h.deliver()  # what waited for Slack goes now, the file with it
    assert len(shared_files(h, MANAGER)) == 1
    assert upload_row(h)[0] == "sent"
    assert any("being prepared" in m.get("text", "") for m in h.emulator.dm_messages(MANAGER))


def test_a_share_that_reached_slack_before_the_error_is_not_uploaded_again(harness):
    h = harness
    h.runtime.worker.stop()
    h.emulator.fail("process_then_fail", count=1, methods=["files.completeUploadExternal"])
    open_form(h)
    assert h.driver.submit(MANAGER, {"sheets": ["reports"]}).json is None
    h.deliver()
    assert len(shared_files(h, MANAGER)) == 1  # it arrived, but Triad was told 500
    assert upload_row(h) == ("pending", True)
    due_again(h)
    assert len(shared_files(h, MANAGER)) == 1
    assert upload_row(h)[0] == "sent"


def test_a_double_submit_sends_one_file(harness):
    h = harness
    form = open_form(h)
    first = h.driver.submit(MANAGER, {"sheets": ["reports"]}, view=form)
    again = h.driver.submit(MANAGER, {"sheets": ["reports"]}, view=form)  # the same view, sent twice
    assert first.status == again.status == 200
    h.deliver()
    assert len(shared_files(h, MANAGER)) == 1
    with h.db.read() as s:
        assert len(s.scalars(select(OutboxMessage).where(OutboxMessage.operation == "upload")).all()) == 1


# --- the upload flow itself, with any bytes ----------------------------------------------------------------

def test_the_gateway_uploads_through_the_three_steps_into_a_dm_and_finds_the_share_again(harness, tmp_path):
    h = harness
    path = tmp_path / "evidence.csv"
    path.write_bytes(b"reference,title\nHZ-2026-0001,guard\n")
    gateway = SlackGateway(BOT_TOKEN, h.emulator.api_url)
    channel, file_id = gateway.upload(None, MANAGER, FileUpload(path, "triad-evidence.csv", "Evidence",
                                                                "Here it is _(ref. abc12345)_"))
    assert channel == h.emulator.dm_channel(MANAGER)
    assert h.emulator.file_content(file_id) == path.read_bytes()
    methods = [c.method for c in h.emulator.calls]
    assert [m for m in methods if m.startswith("files.") or m == UPLOAD_METHOD] == [
        "files.getUploadURLExternal", UPLOAD_METHOD, "files.completeUploadExternal"]
    (shared,) = [m for m in h.emulator.dm_messages(MANAGER) if m.get("files")]
    assert shared["files"][0]["name"] == "triad-evidence.csv" and shared["files"][0]["title"] == "Evidence"
    assert gateway.find_upload(None, MANAGER, "abc12345") == (channel, file_id)
    assert gateway.find_upload(None, MANAGER, "zzz99999") is None


def test_the_emulator_answers_bad_upload_calls_as_slack_does(harness, tmp_path):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=BOT_TOKEN, base_url=harness.emulator.api_url)
    for call, error in [
        (lambda: client.files_getUploadURLExternal(filename="x.csv", length=0), "invalid_arguments"),
        (lambda: client.api_call("files.getUploadURLExternal", params={"length": 3}), "invalid_arguments"),
        (lambda: client.files_completeUploadExternal(files=[{"id": "F0NOPE"}], channel_id="C0STAMP"),
         "file_not_found"),
    ]:
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == error
    ticket = client.files_getUploadURLExternal(filename="x.csv", length=3)
    with pytest.raises(SlackApiError) as not_sent:  # completed before its bytes were sent
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0STAMP")
    assert not_sent.value.response["error"] == "file_not_found"
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b")
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"a,b", method="POST")).read()
    with pytest.raises(SlackApiError) as nowhere:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0NOWHERE")
    assert nowhere.value.response["error"] == "channel_not_found"


def test_every_text_of_the_export_is_in_both_languages():
    from bot.i18n import catalog

    mine = {k for k in catalog("en") if k.startswith("export_form.")}
    assert mine and mine == {k for k in catalog("zh") if k.startswith("export_form.")}
    assert render("export_form", Reader("zh"), callback_id="x", metadata="x1:{}", sheets=("reports",),
                  since="2026-09-01", until="2026-11-30", timezone="UTC", standards=["iso9001"], departments=[],
                  formats=("xlsx", "csv"))["title"]["text"] == "导出证据"


def test_the_sandbox_console_saves_the_shared_file_where_a_person_can_open_it(harness, tmp_path):
    from sandbox.session import Session

    out = io.StringIO()
    session = Session(harness, out, files=tmp_path / "sandbox-files")
    for line in ("as zhao", "/triad export", "set 1 = 1", "submit", "dms"):
        assert session.run(line), line
    shown = "".join(out.getvalue().split())  # wrapped to the terminal's width
    (saved,) = (tmp_path / "sandbox-files").iterdir()
    assert saved.name.endswith("triad-evidence-2026-09-01_2026-11-30.xlsx")
    assert "📎triad-evidence-2026-09-01_2026-11-30.xlsx(" in shown and f"savedto{saved}" in shown
    assert cells(saved.read_bytes())


def test_the_exports_demo_replays_refusal_workbook_and_chinese_csv(settings, db, clock):
    from tests.e2e.test_sandbox import demo, output_of

    out = demo(settings, clock, "demo-exports.txt")
    assert "管理者、体系负责人或管理员" in output_of(out, "zhang@#stamping> /triad export")
    assert "📎 triad-evidence-2026-09-01_2026-11-30.xlsx (" in output_of(out, "zhao@#stamping> dms")
    chinese = output_of(out, "liu@dm> dms")
    assert "这是您的证据导出文件" in chinese and "📎 triad-evidence-2026-09-01_2026-11-30.csv" in chinese
