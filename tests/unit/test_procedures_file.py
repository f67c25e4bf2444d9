"""The register kept as a file: checked line by line with Slack's rules, loaded all or nothing, exported so that it
loads back unchanged."""
from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.procedures import registerfile, schedule, service
from bot.procedures.registerfile import RegisterFileError
from sandbox.demo import PROCEDURES_FILE
from storage.models import (
    Acknowledgment,
    EvidenceEntry,
    OutboxMessage,
    Person,
    Procedure,
    ProcedureStatus,
    ProcedureVersion,
    Question,
)
from tests.unit.reports_world import SAFETY, actor, load_plant

EXAMPLE = PROCEDURES_FILE.read_text(encoding="utf-8")
PUBLISHED = EXAMPLE.replace("status: draft", "status: published")


@pytest.fixture
def plant(db):
    load_plant(db)
    return db


def write(tmp_path: Path, text: str, name: str = "procedures.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(db, tmp_path: Path, text: str, *, check_links: bool = False) -> registerfile.LoadSummary:
    return registerfile.load_file(db, write(tmp_path, text), check_links=check_links)


def rows(db) -> dict[str, int]:
    with db.read() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (Procedure, ProcedureVersion, Question, Acknowledgment, EvidenceEntry, OutboxMessage)}


def refused(db, tmp_path: Path, text: str, *, check_links: bool = False) -> list[str]:
    """The problems of a file that must change nothing."""
    before = rows(db)
    with pytest.raises(RegisterFileError) as error:
        load(db, tmp_path, text, check_links=check_links)
    assert rows(db) == before
    return [found.removeprefix(f"{tmp_path}/") for found in error.value.problems]


def line_of(text: str, fragment: str, after: str = "\nprocedures:") -> int:
    """The line (from 1) of the first ``fragment`` after the first ``after`` (by default: below the comments that
    explain the keys)."""
    return text[:text.index(fragment, text.index(after))].count("\n") + 1


def in_entry(text: str, code: str, before: str, after: str) -> str:
    """``text`` with ``before`` replaced by ``after`` in the entry of ``code`` only."""
    start = text.index(f"code: {code}")
    end = text.find("  - code:", start)
    end = len(text) if end < 0 else end
    return text[:start] + text[start:end].replace(before, after, 1) + text[end:]


def owed(db) -> dict[str, set[str]]:
    with db.read() as s:
        found: dict[str, set[str]] = {}
        for code, slack_id in s.execute(
                select(Procedure.code, Person.slack_user_id).join(Acknowledgment, Acknowledgment.procedure_id
                                                                  == Procedure.id)
                .join(Person, Acknowledgment.person_id == Person.id).where(Acknowledgment.required.is_(True))):
            found.setdefault(code, set()).add(slack_id)
        return found


# --- loading -------------------------------------------------------------------------------------------------------

def test_the_example_loads_as_drafts_and_again_changes_nothing(plant):
    summary = registerfile.load_file(plant, PROCEDURES_FILE, check_links=False)
    assert summary.drafts == ("SOP-EHS-007 1.0", "SOP-ENV-003 1.0", "QP-QA-012 1.0")
    assert not (summary.published or summary.retired or summary.unchanged)
    with plant.read() as s:
        versions = list(s.scalars(select(ProcedureVersion)))
        assert {v.status for v in versions} == {ProcedureStatus.DRAFT}
        assert [len(v.questions) for v in versions] == [2, 2, 2]
        loto = service.draft_from(s, service.get(s, "SOP-EHS-007").versions[0])
        assert loto.summary_en.startswith("1. Before clearing a jam") and loto.summary_en.count("\n") == 4
        assert loto.questions and loto.questions[0].answer == 1  # the file's answer 2 is the second choice
    assert owed(plant) == {}
    before = rows(plant)
    again = registerfile.load_file(plant, PROCEDURES_FILE, check_links=False)
    assert again.unchanged == summary.drafts and not again.changed
    assert rows(plant) == before


def test_a_published_load_asks_exactly_each_audience(plant, tmp_path):
    summary = load(plant, tmp_path, PUBLISHED)
    assert summary.published == (("SOP-EHS-007 1.0", 2), ("SOP-ENV-003 1.0", 6), ("QP-QA-012 1.0", 2))
    assert owed(plant) == {
        "SOP-EHS-007": {"U0ZHANG", "U0LI"},  # Stamping and Painting: nobody of the demo plant paints
        "SOP-ENV-003": {"U0ZHANG", "U0LI", "U0CHEN", "U0WANG", "U0LIU", "U0ZHAO"},  # everyone
        "QP-QA-012": {"U0ZHANG", "U0LI"},  # Stamping, or a supervisor (Li Na is both)
    }
    with plant.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.key.startswith("ack:"))) == 10  # a card each
        loaded = s.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "register_file_loaded"))
        assert loaded.subject == "procedures.yml" and len(loaded.detail["published"]) == 3


def test_a_site_in_the_audience_reaches_the_people_who_work_there(plant, tmp_path):
    text = PUBLISHED.replace("audience: everyone", "audience: { sites: [plant1] }")
    assert dict(load(plant, tmp_path, text).published)["SOP-ENV-003 1.0"] == 6


def test_retiring_the_version_in_force(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    text = in_entry(PUBLISHED, "SOP-EHS-007", "status: published", "status: retired")
    summary = load(plant, tmp_path, text)
    assert summary.retired == ("SOP-EHS-007 1.0",)
    assert summary.unchanged == ("SOP-ENV-003 1.0", "QP-QA-012 1.0")
    assert "SOP-EHS-007" not in owed(plant)
    assert not load(plant, tmp_path, text).changed  # retired already: as the file says


def minor_revision(text: str) -> str:
    return in_entry(in_entry(text, "SOP-EHS-007", 'version: "1.0"', 'version: "1.1"'), "SOP-EHS-007", "major: true",
                    "major: false\n    change_note: { en: The guards are named, zh: 列明了防护装置 }")


def test_a_new_version_supersedes_the_one_in_force(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    summary = load(plant, tmp_path, minor_revision(PUBLISHED))
    assert [name for name, _ in summary.published] == ["SOP-EHS-007 1.1"]
    assert summary.unchanged == ("SOP-ENV-003 1.0", "QP-QA-012 1.0")
    with plant.read() as s:
        assert [(v.version, v.status) for v in service.get(s, "SOP-EHS-007").versions] == [
            ("1.0", ProcedureStatus.SUPERSEDED), ("1.1", ProcedureStatus.PUBLISHED)]


def test_the_reminder_schedule(plant, tmp_path):
    text = EXAMPLE.replace("remind_every_days: 3", "remind_every_days: 2").replace(
        "  owner_after_days: 3        # the procedure's system owner, this many working days after the supervisor\n",
        "")
    assert load(plant, tmp_path, text).reminders
    with plant.read() as s:
        assert schedule.of(s) == schedule.Schedule(remind_every_days=2, supervisor_after_days=0, owner_after_days=3)
    assert not load(plant, tmp_path, text).changed


# --- bad input: every problem at its line, nothing changed -------------------------------------------------------

def test_an_unknown_key_is_named_at_its_line(plant, tmp_path):
    text = EXAMPLE.replace("    status: draft\n", "    status: draft\n    colour: red\n", 1)
    found = refused(plant, tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith(f"procedures.yml line {line_of(text, 'colour')}: unknown key 'colour' in a procedure")


@pytest.mark.parametrize("before, after, at, words", [
    ("code: SOP-EHS-007", "code: sop ehs 7", "code: sop", "code: “sop ehs 7” is not a procedure code"),
    ('version: "1.0"', 'version: "one"', "version:", "version: “one” is not a version"),
    ("departments: [stamping, painting]", "departments: [stamping, welding]", "departments",
     "audience.departments: There is no department welding (there are: painting, stamping, warehouse)."),
    ("audience: everyone", "audience: { sites: [plant9] }", "audience: { sites",
     "audience.sites: There is no site plant9 (there are: plant1)."),
    ("owner: U0LIU", "owner: U0NOBODY", "owner", "owner: U0NOBODY is not someone Triad knows"),
    ("roles: [supervisor]", "roles: [foreman]", "roles",
     "audience roles: There is no role foreman (the roles are: worker, supervisor, owner, manager, admin)."),
    ("review_by: 2027-12-01", "review_by: 2026-11-01", "review_by",
     "review_by: The review-by date must be after the effective date."),
    ("answer: 2", "answer: 4", "answer", "check.1.answer: The right answer is one of the answers given (1 to 3)."),
    ("answer: 2", "answer: 0", "answer", "check.1.answer: The right answer is one of the answers given (1 to 3)."),
    ("major: true", "major: maybe", "major", "major must be true or false, not 'maybe'"),
    ("effective: 2026-12-01", "effective: 1 December", "effective", "effective must be a date written YYYY-MM-DD"),
])
def test_a_bad_value_is_named_at_its_line(plant, tmp_path, before, after, at, words):
    text = EXAMPLE.replace(before, after, 1)
    found = refused(plant, tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(f"procedures.yml line {line_of(text, at, after)}: {words}"), found


def test_a_missing_chinese_title_is_named_at_the_title(plant, tmp_path):
    text = EXAMPLE.replace("      zh: 首件检验程序\n", "")
    assert refused(plant, tmp_path, text) == [
        f"procedures.yml line {line_of(text, 'title:', 'QP-QA-012')}: title.zh: This is needed."]


def test_five_choices_are_too_many(plant, tmp_path):
    extra = "          - { en: Call the fire brigade, zh: 打火警电话 }\n          - { en: Go home, zh: 回家 }\n"
    anchor = "          - { en: Ask a colleague to watch the start button, zh: 请同事帮忙看住启动按钮 }\n"
    text = EXAMPLE.replace(anchor, anchor + extra)
    assert refused(plant, tmp_path, text) == [f"procedures.yml line {line_of(text, 'choices:')}: check.1.choices: "
                                              "A question has 2 to 4 answers to choose from."]


def test_every_problem_of_the_file_is_named_at_once(plant, tmp_path):
    text = in_entry(EXAMPLE.replace("owner: U0LIU", "owner: U0NOBODY"), "SOP-ENV-003", "status: draft",
                    "status: pending").replace("standards: [quality]", "standards: [finance]")
    found = refused(plant, tmp_path, text)
    assert [f.split(":")[0] for f in found] == [
        f"procedures.yml line {line_of(text, 'status: pending')}",
        f"procedures.yml line {line_of(text, 'finance')}",
        f"procedures.yml line {line_of(text, 'owner: U0NOBODY')}"]


def test_a_code_twice_in_the_file(plant, tmp_path):
    text = EXAMPLE.replace("code: QP-QA-012", "code: SOP-EHS-007")
    found = refused(plant, tmp_path, text)
    assert found == [f"procedures.yml line {line_of(text, 'code: SOP-EHS-007', 'SOP-ENV-003')}: SOP-EHS-007 is in "
                     "the file twice: the register file gives one version of each code"]


def test_a_published_version_is_not_changed_by_the_file(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    text = PUBLISHED.replace("en: Lockout/tagout for presses", "en: Lockout and tagout for presses")
    assert refused(plant, tmp_path, text) == [
        f"procedures.yml line {line_of(text, 'version:')}: version: SOP-EHS-007 1.0 is already published and the file "
        "changes it (title.en): give it a new version and a change note"]


def test_a_draft_for_a_published_version_is_refused_with_slacks_words(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    found = refused(plant, tmp_path, EXAMPLE)
    assert found[0] == (f"procedures.yml line {line_of(EXAMPLE, 'version:')}: version: Version 1.0 of SOP-EHS-007 is "
                        "already published: a version is published once. Revise it to make the next version.")


def test_a_version_not_in_force_cannot_be_retired(plant, tmp_path):
    text = in_entry(EXAMPLE, "SOP-EHS-007", "status: draft", "status: retired")
    assert refused(plant, tmp_path, text) == [f"procedures.yml line {line_of(text, 'status: retired')}: status: "
                                              "SOP-EHS-007 1.0 is not in force, so it cannot be retired"]


def test_an_audience_of_nobody_is_not_published(plant, tmp_path):
    text = PUBLISHED.replace("departments: [stamping, painting]", "departments: [painting]")
    assert refused(plant, tmp_path, text) == [
        f"procedures.yml line {line_of(text, 'audience:')}: audience: Nobody is in its audience yet: no person of "
        "this workspace is in those departments, roles or sites. Change the audience, or load the people first."]


# --- document links, asked before the unit of work ---------------------------------------------------------------

DOCUMENTS = ("ehs/SOP-EHS-007-lockout-tagout.pdf", "env/SOP-ENV-003-chemical-spill-response.pdf",
             "qa/QP-QA-012-first-article-inspection.pdf")


@pytest.fixture
def documents(tmp_path) -> Iterator[str]:
    """A real web server on loopback with the example's documents; anything else answers 404."""
    for name in DOCUMENTS:
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / name).write_bytes(b"%PDF-1.4")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path / "docs")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def served(text: str, base: str) -> str:
    return text.replace("https://docs.riverside.example", base)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_documents_that_answer_are_published(plant, tmp_path, documents):
    assert len(load(plant, tmp_path, served(PUBLISHED, documents), check_links=True).published) == 3


def test_a_missing_document_is_named_at_its_line(plant, tmp_path, documents):
    text = served(PUBLISHED, documents).replace("SOP-ENV-003-chemical-spill-response.pdf", "gone.pdf")
    assert refused(plant, tmp_path, text, check_links=True) == [
        f"procedures.yml line {line_of(text, 'gone.pdf')}: document: The document link answers with an error "
        f"(HTTP 404): {documents}/env/gone.pdf. Check it opens in a browser, then publish again."]


def test_a_document_server_that_does_not_answer_is_named_at_its_line(plant, tmp_path):
    text = served(in_entry(EXAMPLE, "SOP-EHS-007", "status: draft", "status: published"),
                  f"http://127.0.0.1:{closed_port()}")
    found = refused(plant, tmp_path, text, check_links=True)  # only the version to be published is asked
    assert len(found) == 1
    assert found[0].startswith(f"procedures.yml line {line_of(text, 'SOP-EHS-007-lockout')}: document: The document "
                               "link does not answer (")


# --- export ------------------------------------------------------------------------------------------------------

def test_an_export_loads_back_with_no_change(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    later = in_entry(minor_revision(PUBLISHED), "QP-QA-012", "status: published", "status: retired")
    load(plant, tmp_path, later.replace("remind_every_days: 3", "remind_every_days: 5"))
    with plant.session() as s:  # a revision begun in Slack: not in force yet, so not in the file
        service.revise(s, actor(plant, SAFETY), "SOP-EHS-007", major=True)
    with plant.read() as s:
        exported = registerfile.export(s)
    spec = registerfile.parse(exported, "export.yml")
    assert spec.problems == ()
    assert [(e.draft.code, e.draft.version, e.status.value) for e in spec.entries] == [
        ("QP-QA-012", "1.0", "retired"), ("SOP-EHS-007", "1.1", "published"), ("SOP-ENV-003", "1.0", "published")]
    assert spec.schedule == schedule.Schedule(remind_every_days=5)
    before = rows(plant)
    summary = load(plant, tmp_path, exported)
    assert not summary.changed and len(summary.unchanged) == 3
    assert rows(plant) == before


def test_an_export_of_drafts_loads_back_with_no_change(plant, tmp_path):
    registerfile.load_file(plant, PROCEDURES_FILE, check_links=False)
    with plant.read() as s:
        exported = registerfile.export(s)
    before = rows(plant)
    assert load(plant, tmp_path, exported).unchanged == ("QP-QA-012 1.0", "SOP-EHS-007 1.0", "SOP-ENV-003 1.0")
    assert rows(plant) == before


def test_an_export_of_the_versions_in_force_says_what_they_say(plant, tmp_path):
    load(plant, tmp_path, PUBLISHED)
    with plant.read() as s:
        exported = registerfile.export(s)
    assert "status: published" in exported and "status: draft" not in exported
    assert "      departments: [stamping, painting]\n" in exported  # as a person writes it
    assert "      zh: |-\n        1. 清理卡料、换模" in exported  # a summary line under line, in Chinese characters
    before = rows(plant)
    assert load(plant, tmp_path, exported).unchanged == ("QP-QA-012 1.0", "SOP-EHS-007 1.0", "SOP-ENV-003 1.0")
    assert rows(plant) == before


# --- the command line --------------------------------------------------------------------------------------------

@pytest.fixture
def command(plant, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TRIAD_CHECK_LINKS"):
        monkeypatch.delenv(name, raising=False)
    return lambda *argv: cli.main(["procedures", *argv])


def test_the_commands_check_load_and_export(command, plant, tmp_path, capsys):
    assert command("check", str(PROCEDURES_FILE)) == 0
    assert capsys.readouterr().out == (f"{PROCEDURES_FILE} is valid. Loading it would:\n"
                                       "  save as drafts: SOP-EHS-007 1.0, SOP-ENV-003 1.0, QP-QA-012 1.0\n")
    assert rows(plant)["Procedure"] == 0
    published = write(tmp_path, PUBLISHED)
    assert command("load", str(published)) == 0
    assert capsys.readouterr().out == (
        f"Loaded {published}:\n  published: SOP-EHS-007 1.0 (2 people asked to read it), SOP-ENV-003 1.0 (6 people "
        "asked to read it), QP-QA-012 1.0 (2 people asked to read it)\n")
    out = tmp_path / "register.yml"
    assert command("export", str(out)) == 0
    assert capsys.readouterr().out == f"Wrote {out}: the register of 3 procedures.\n"
    assert command("export") == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
    assert command("load", str(out)) == 0
    assert "unchanged: QP-QA-012 1.0, SOP-EHS-007 1.0, SOP-ENV-003 1.0" in capsys.readouterr().out


def test_a_bad_file_on_the_command_line_exits_1_with_its_problems(command, plant, tmp_path, capsys):
    bad = write(tmp_path, EXAMPLE.replace("owner: U0LIU", "owner: U0NOBODY"))
    assert command("load", str(bad), "--lang", "zh") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"{bad} line {line_of(EXAMPLE, 'owner: U0LIU')}: owner: Triad 不认识 U0NOBODY："
                      "请选择本工作区的人员（组织文件中列出的人员）。")
    assert err[-1] == "1 problem(s): nothing was changed."
    assert rows(plant)["Procedure"] == 0
    assert command("check", str(tmp_path / "none.yml")) == 1
    assert "cannot be read" in capsys.readouterr().err
