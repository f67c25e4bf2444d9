"""Two plants' Slack workspaces served by one Triad, through signed requests: each sees only its own people,
reports and numbers, and a workspace Triad does not serve is refused before anything is read or written."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from bot.org.orgfile import load_file
from sandbox.demo import ORG_FILE
from sandbox.driver import SlackDriver
from storage.models import Organisation, Person, Report
from storage.workspaces import serving

WORKER = "U0ZHANG"
SECOND_TEAM = "T0SECOND"


@pytest.fixture
def two_plants(harness):
    h = harness
    h.driver.slash(WORKER, "/triad", "me")  # the first request binds the sandbox's team to its organisation
    with h.db.session() as s:
        s.add(Organisation(name="Second plant", team_id=SECOND_TEAM))
    with h.db.read() as s:
        first, second = s.scalars(select(Organisation.id).order_by(Organisation.id)).all()
    with serving(second), h.db.session() as s:
        load_file(s, ORG_FILE)  # the same departments and Slack ids as the first plant
    other = SlackDriver(h.driver.app_url, h.driver.signing_secret, h.emulator, team_id=SECOND_TEAM,
                        settle=h.settle)
    return h, other, first, second


def latest_ephemeral(h, user: str, since: int) -> str:
    """The first message shown to ``user`` after the ``since`` already shown."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h.deliver()
        shown = h.emulator.ephemerals(user)
        if len(shown) > since:
            return json.dumps(shown[since], ensure_ascii=False)
        time.sleep(0.05)
    raise AssertionError(f"{user} was shown nothing")


def mine(h, driver: SlackDriver) -> str:
    since = len(h.emulator.ephemerals(WORKER))
    assert driver.slash(WORKER, "/report", "mine").status == 200
    return latest_ephemeral(h, WORKER, since)


def file(h, driver: SlackDriver, words: str) -> None:
    assert driver.slash(WORKER, "/report", f"hazard {words}").status == 200
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER), description="the report form")
    assert driver.submit(WORKER, {}).status == 200


def counts(h, plant: int) -> tuple[int, int]:
    with serving(plant), h.db.read() as s:
        return (s.scalar(select(func.count()).select_from(Person)), s.scalar(select(func.count()).select_from(Report)))


def test_two_workspaces_see_nothing_of_each_other(two_plants):
    h, other, first, second = two_plants
    file(h, h.driver, "guard missing on press 3")
    file(h, other, "oil on the floor by press 7")
    for plant, words in ((first, "guard missing on press 3"), (second, "oil on the floor by press 7")):
        with serving(plant), h.db.read() as s:  # each numbered from 1, in its own workspace
            assert [(r.reference, r.description) for r in s.scalars(select(Report))] == [("HZ-2026-0001", words)]
    in_first, in_second = mine(h, h.driver), mine(h, other)
    assert "guard missing on press 3" in in_first and "oil on the floor" not in in_first
    assert "oil on the floor by press 7" in in_second and "guard missing" not in in_second


def test_a_workspace_triad_does_not_serve_is_refused_and_leaves_no_trace(two_plants):
    h, _, first, second = two_plants
    before = counts(h, first), counts(h, second)
    stranger = SlackDriver(h.driver.app_url, h.driver.signing_secret, h.emulator, team_id="T0STRANGER")
    assert stranger.slash(WORKER, "/triad", "help").status == 403
    assert stranger.slash(WORKER, "/report").status == 403
    assert stranger.dm(WORKER, "guard missing on press 3").status == 403
    assert (counts(h, first), counts(h, second)) == before
    with h.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == 2
