"""Plants install Triad into their Slack workspaces through Slack's OAuth flow (against the emulator): each
workspace's bot token is stored, its requests and messages go with that token, and once it uninstalls Triad
or revokes the token nothing more is sent there."""
from __future__ import annotations

import json
import time
from urllib.request import urlopen

import pytest
from sqlalchemy import func, select

from bot import outbox
from sandbox.driver import SlackDriver
from sandbox.harness import Harness
from storage.models import Organisation, OutboxMessage, Person
from storage.models.installs import BOTS
from storage.workspaces import serving

WORKER, ADMIN = "U0ZHANG", "U0ZHAO"  # of the sandbox's own workspace, T0TRIAD
SECOND_TEAM, SECOND_WORKER = "T0SECOND", "U0SECOND"


@pytest.fixture
def installs(settings, db, clock):
    h = Harness(settings, installs=True, clock=clock).start(migrate_db=False)
    yield h
    h.stop()


def second_plant(h) -> SlackDriver:
    """The second plant installs Triad; one of its people is in its workspace."""
    assert "Triad is installed" in h.install(SECOND_TEAM, "Second plant")
    h.emulator.add_user(SECOND_WORKER, "li.na", "Li Na", team_id=SECOND_TEAM)
    return SlackDriver(h.driver.app_url, h.driver.signing_secret, h.emulator, team_id=SECOND_TEAM, settle=h.settle)


def organisation(h, team_id: str) -> Organisation | None:
    with h.db.read() as s:
        return s.scalar(select(Organisation).where(Organisation.team_id == team_id))


def home_published_by(h, team_id: str, user: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h.deliver()
        published = h.emulator.calls_to("views.publish")
        if any(c.ok and c.team == team_id and c.args.get("user_id") == user for c in published):
            return True
        time.sleep(0.05)
    return False


def test_a_workspace_that_has_not_installed_triad_is_refused_and_leaves_no_trace(installs):
    h = installs
    with h.db.read() as s:
        people = s.scalar(select(func.count()).select_from(Person))
    h.emulator.add_user("U0NEWCOMER", "new.comer", "New Comer")
    h.driver.slash("U0NEWCOMER", "/triad", "me")
    with h.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == people
        assert s.scalar(select(Organisation.team_id)) is None  # the plant loaded from the file is nobody's yet
    assert not [c for c in h.emulator.calls if c.team is not None]  # nothing was asked of Slack for it


def test_installing_stores_the_token_and_the_team_is_served_with_it(installs):
    h = installs
    page = h.install()  # the sandbox's own workspace installs first: the plant loaded from the file is its
    assert "Triad is installed" in page and "Triad Sandbox" in page
    with h.db.read() as s:
        assert s.execute(select(BOTS.c.team_id, BOTS.c.bot_token)).all() == [("T0TRIAD", h.emulator.bot_token)]
        assert s.scalar(select(func.count()).select_from(Organisation)) == 1
    first = organisation(h, "T0TRIAD")
    assert first is not None and first.name != "Triad"

    other = second_plant(h)
    second = organisation(h, SECOND_TEAM)
    assert second is not None and second.name == "Second plant" and second.id != first.id
    assert other.home_opened(SECOND_WORKER).status == 200
    assert home_published_by(h, SECOND_TEAM, SECOND_WORKER)  # the outbox sent it with the second plant's token
    assert h.driver.home_opened(WORKER).status == 200
    assert home_published_by(h, "T0TRIAD", WORKER)
    with serving(second.id), h.db.read() as s:
        assert s.scalars(select(Person.slack_user_id)).all() == [SECOND_WORKER]


def test_the_install_pages_speak_the_browsers_language(installs):
    h = installs
    assert "将 Triad 添加到 Slack" in urlopen_text(f"{h.url}/slack/install", "zh-CN,zh;q=0.9")
    assert "Add Triad to Slack" in urlopen_text(f"{h.url}/slack/install", "en-US")
    assert "Triad 已安装" in h.install(language="zh")


def test_an_install_that_comes_back_without_its_state_is_refused(installs):
    h = installs
    page = urlopen_text(f"{h.url}/slack/oauth_redirect?code=forged&state=forged", "en")
    assert "Triad was not installed" in page
    with h.db.read() as s:
        assert s.scalar(select(func.count()).select_from(BOTS)) == 0


@pytest.mark.parametrize("event", [
    {"type": "app_uninstalled"},
    {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
])
def test_after_a_workspace_uninstalls_triad_nothing_more_is_sent_there(installs, event):
    h = installs
    h.install()
    other = second_plant(h)
    assert other.home_opened(SECOND_WORKER).status == 200
    assert home_published_by(h, SECOND_TEAM, SECOND_WORKER)
    second = organisation(h, SECOND_TEAM)
    assert second is not None

    h.emulator.uninstall(SECOND_TEAM)
    assert other.event(event).status == 200
    h.settle()
    gone = organisation(h, SECOND_TEAM)
    assert gone is not None and gone.uninstalled_at is not None
    with h.db.read() as s:
        assert s.scalars(select(BOTS.c.team_id)).all() == ["T0TRIAD"]

    with serving(second.id), h.db.session() as s:  # something the second plant is still owed
        outbox.post(s, "still-owed", SECOND_WORKER, {"text": "a reminder"})
    calls = len(h.emulator.calls)
    h.deliver()
    assert not [c for c in h.emulator.calls[calls:] if c.method == "chat.postMessage"]
    with h.db.read() as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "still-owed")) == "pending"
    assert other.slash(SECOND_WORKER, "/triad", "me").status in (200, 403)  # refused: no install found
    assert h.driver.home_opened(WORKER).status == 200  # the first plant goes on as before
    assert home_published_by(h, "T0TRIAD", WORKER)

    assert "Triad is installed" in h.install(SECOND_TEAM)  # back: what it was owed goes out
    back = organisation(h, SECOND_TEAM)
    assert back is not None and back.uninstalled_at is None and back.id == second.id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not h.emulator.messages(h.emulator.dm_channel(SECOND_WORKER)):
        h.deliver()
        time.sleep(0.05)
    assert [m["text"] for m in h.emulator.messages(h.emulator.dm_channel(SECOND_WORKER))] == ["a reminder"]


def test_an_administrators_home_counts_only_the_messages_its_own_workspace_is_owed(installs):
    h = installs
    h.install()
    other = second_plant(h)
    second = organisation(h, SECOND_TEAM)
    assert second is not None
    h.emulator.uninstall(SECOND_TEAM)  # what the second plant is owed now stays in the outbox
    assert other.event({"type": "app_uninstalled"}).status == 200
    h.settle()
    with serving(second.id), h.db.session() as s:
        outbox.post(s, "owed-elsewhere", SECOND_WORKER, {"text": "a reminder"})
    h.deliver()
    assert h.driver.home_opened(ADMIN).status == 200
    assert home_published_by(h, "T0TRIAD", ADMIN)
    summary = json.dumps(h.emulator.home(ADMIN))
    assert "Outbox: 0 messages waiting" in summary


def test_with_one_bot_token_an_uninstall_holds_messages_until_slack_calls_again(harness):
    h = harness
    assert h.driver.slash(WORKER, "/triad", "me").status == 200
    h.deliver()
    assert h.driver.event({"type": "app_uninstalled"}).status == 200
    h.settle()
    with h.db.read() as s:
        workspace = s.scalar(select(Organisation.id))
    with serving(workspace), h.db.session() as s:
        outbox.post(s, "held", WORKER, {"text": "held while uninstalled"})
    h.deliver()
    with h.db.read() as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "held")) == "pending"
    assert h.driver.slash(WORKER, "/triad", "me").status == 200  # installed again: Slack sends requests
    h.deliver()
    with h.db.read() as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "held")) == "sent"


def urlopen_text(url: str, language: str) -> str:
    from urllib.error import HTTPError
    from urllib.request import Request

    try:
        with urlopen(Request(url, headers={"Accept-Language": language}), timeout=10) as response:
            return response.read().decode("utf-8")
    except HTTPError as error:
        return error.read().decode("utf-8")


def test_what_a_plant_is_owed_before_its_workspace_installs_triad_waits_for_the_install(installs):
    h = installs
    with h.db.read() as s:
        plant = s.scalar(select(Organisation.id))
    with serving(plant), h.db.session() as s:  # e.g. a reminder of a job run before the install
        outbox.post(s, "early", WORKER, {"text": "owed before the install"})
    h.deliver()
    with h.db.read() as s:
        early = s.scalar(select(OutboxMessage).where(OutboxMessage.key == "early"))
        assert (early.status, early.last_error) == ("pending", "not_installed")
    h.install()
    with h.db.session() as s:  # its back-off is not what this test waits for
        s.scalar(select(OutboxMessage).where(OutboxMessage.key == "early")).next_attempt_at = early.created_at
    h.deliver()
    with h.db.read() as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "early")) == "sent"
