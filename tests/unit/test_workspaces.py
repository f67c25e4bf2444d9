"""Two plants in one Triad: each workspace sees and numbers only its own rows, with the same codes and Slack ids."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.org import people
from bot.org.orgfile import load_file
from bot.reports import service
from bot.reports.errors import ReportError
from bot.reports.service import ReportDraft
from sandbox.demo import ORG_FILE
from storage.models import Department, Organisation, OutboxMessage, Person, Report, ReportKind
from storage.workspaces import NoWorkspace, serving

WORKER = "U0ZHANG"


@pytest.fixture
def two_plants(db):
    with db.session() as s:
        s.add_all([Organisation(name="Plant A", team_id="T0PLANTA"), Organisation(name="Plant B", team_id="T0PLANTB")])
    with db.read() as s:
        a, b = s.scalars(select(Organisation.id).order_by(Organisation.id)).all()
    for plant in (a, b):
        with db.session(plant) as s:
            load_file(s, ORG_FILE)  # the same departments, codes and Slack ids in both
    return db, a, b


def file(db, plant: int, words: str) -> str:
    with db.session(plant) as s:
        worker = people.actor_of(people.find(s, WORKER), people.organisation(s))
        return service.file_report(s, worker, ReportDraft(kind=ReportKind.HAZARD, description=words),
                                   f"test:{plant}:{words}").report.reference


def test_each_workspace_sees_only_its_own_people_departments_and_reports(two_plants):
    db, a, b = two_plants
    assert file(db, a, "guard missing on press 3") == file(db, b, "oil on the floor")  # each numbers its own
    for plant, words in ((a, "guard missing on press 3"), (b, "oil on the floor")):
        with db.read(plant) as s:
            assert [r.description for r in s.scalars(select(Report))] == [words]
            assert s.scalar(select(func.count()).select_from(Person)) == s.scalar(
                select(func.count()).select_from(Person).where(Person.organisation_id == plant))
            assert {d.organisation_id for d in s.scalars(select(Department))} == {plant}
            assert people.find(s, WORKER).organisation_id == plant
            assert people.organisation(s).id == plant
    with db.read() as s:  # messages are the outbox's, across workspaces, each marked with its own
        assert {m.organisation_id for m in s.scalars(select(OutboxMessage))} == {a, b}


def test_a_row_of_another_workspace_cannot_be_reached_by_its_id(two_plants):
    db, a, b = two_plants
    file(db, a, "guard missing on press 3")
    with db.read(a) as s:
        report_id = s.scalars(select(Report.id)).one()
    with db.read(b) as s:
        assert s.scalars(select(Report).where(Report.id == report_id)).first() is None
        with pytest.raises(ReportError):
            service.get(s, report_id)  # as if it did not exist


def test_with_several_workspaces_a_unit_of_work_must_say_whose_it_is(two_plants):
    db, a, b = two_plants
    with db.read() as s:
        assert len(s.scalars(select(Organisation)).all()) == 2  # the organisations themselves: anyone's to list
        with pytest.raises(NoWorkspace):
            s.scalars(select(Person)).all()
    with serving(b), db.read() as s:  # a request of plant B's team, or a job run for it
        assert {p.organisation_id for p in s.scalars(select(Person))} == {b}


def test_an_organisation_file_is_loaded_into_the_workspace_named(two_plants, database_url, monkeypatch, capsys):
    from bot.cli import main

    db, a, b = two_plants
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["org", "load", str(ORG_FILE)]) == 1
    assert "serves several workspaces: say which with --team (T0PLANTA, T0PLANTB)" in capsys.readouterr().err
    assert main(["org", "load", str(ORG_FILE), "--team", "T0ELSEWHERE"]) == 1
    assert "serves no workspace T0ELSEWHERE" in capsys.readouterr().err
    assert main(["org", "load", str(ORG_FILE), "--team", "T0PLANTB"]) == 0
    with db.read(b) as s:
        assert s.scalar(select(func.count()).select_from(Department)) == 3
