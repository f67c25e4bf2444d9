"""Triad grows by domains: each is its own packages and one line in bot/domains.py, and every process
(web, clock, sandbox) iterates that one list."""
from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot import domains, i18n
from bot.events import Event, Unheard, announce
from sandbox.harness import Harness
from tests.example_domain import DOMAIN as EXAMPLE
from tests.example_domain import GREETED

ROOT = Path(__file__).resolve().parents[2]
ENGLISH, CHINESE = "U0ZHAO", "U0ZHANG"


@pytest.fixture
def with_example(monkeypatch):
    monkeypatch.setattr(domains, "DOMAINS", [*domains.DOMAINS, EXAMPLE])  # the one line
    i18n.forget_texts()
    yield
    monkeypatch.undo()
    i18n.forget_texts()


@pytest.fixture
def plant(settings, db, with_example, clock):
    h = Harness(settings, clock=clock).start(migrate_db=False)
    yield h
    h.stop()


def says(h, user: str, words: str, what: str) -> None:
    """Until ``user`` has been told ``words`` (ephemeral or DM), delivering what the outbox owes meanwhile."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h.deliver()
        if words in json.dumps([*h.emulator.ephemerals(user), *h.emulator.dm_messages(user)], ensure_ascii=False):
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: {user} was never told {words!r}")


def test_a_new_domain_needs_only_its_own_files_and_one_line_in_the_list(plant):
    h = plant
    h.driver.slash(ENGLISH, "/example")
    says(h, ENGLISH, "Hello from the example domain.", "its command")
    h.driver.slash(ENGLISH, "/triad", "example")
    says(h, ENGLISH, "heard its word", "its /triad word")
    h.driver.dm(ENGLISH, "ping")  # asked before the reports' reader of any words
    says(h, ENGLISH, "pong, from the example domain", "its DM reader")
    h.driver.slash(ENGLISH, "/triad", "help")
    says(h, ENGLISH, "/example`: says hello", "its help line")
    h.driver.home_opened(ENGLISH)
    h.emulator.wait_for(lambda: "One example waits for you." in json.dumps(h.emulator.home(ENGLISH)),
                        description="its App Home section")

    h.driver.slash(CHINESE, "/triad", "例子")  # its texts, in the reader's language
    says(h, CHINESE, "示例领域收到了它的指令词", "its word in Chinese")

    h.advance(timedelta(hours=1))  # the sandbox runs its job as a time sweep
    says(h, GREETED, "example daily greeting", "its job")


def test_the_core_domains_are_on_the_list_and_declare_their_jobs_once():
    names = [d.name for d in domains.DOMAINS]
    assert names == ["platform", "reports", "procedures", "evidence", "org"]
    ids = [job.id for job in domains.all_jobs()]
    assert len(ids) == len(set(ids))
    assert {"outbox-sweep", "report-follow-ups", "procedure-reminders", "evidence-verify",
            "setup-waiting-reports"} <= set(ids)


@pytest.mark.real_clock  # the clock is another process, on the real clock
def test_the_clock_process_schedules_every_domains_jobs(settings, db, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=settings.database_url, SLACK_BOT_TOKEN="xoxb-sandbox",
               SLACK_SIGNING_SECRET="clock-test", SLACK_API_URL="http://127.0.0.1:9/api/", LOG_LEVEL="INFO")
    log = tmp_path / "clock.log"
    clock_process = subprocess.Popen([sys.executable, "-m", "bot", "clock"], cwd=tmp_path, env=env,
                                     stdout=log.open("w"), stderr=subprocess.STDOUT)
    engine = create_engine(settings.database_url)
    try:
        wanted, scheduled = {job.id for job in domains.all_jobs()}, set()
        deadline = time.monotonic() + 30
        while scheduled != wanted and time.monotonic() < deadline:
            assert clock_process.poll() is None, log.read_text()
            time.sleep(0.2)
            with engine.connect() as conn:
                scheduled = {row[0] for row in conn.execute(text("SELECT id FROM apscheduler_jobs"))}
        assert scheduled == wanted, log.read_text()
    finally:
        clock_process.terminate()
        clock_process.wait(timeout=25)
        engine.dispose()


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


# The composition root builds the Bolt app from the handlers; the guard runs handlers' payload checks in front
# of Bolt. (The sandbox, which drives the whole app as Slack would, lives outside bot/.)
MAY_REACH_HANDLERS = {"bot/app.py", "bot/domains.py", "bot/guard.py"}


def test_the_assistant_never_imports_the_slack_side():
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in MAY_REACH_HANDLERS:
            continue
        offenders += [f"{relative} imports {name}" for name in _imports(path)
                      if name == "handlers" or name.startswith("handlers.")]
    assert offenders == []


# What only the Slack side may build: Block Kit (its checker and templates, or Slack's own SDKs).
SLACK_SIDE_ONLY = ("bot.blockkit", "bot.blocktemplate", "slack_sdk", "slack_bolt")


def test_a_domain_announces_what_happened_and_builds_no_slack_message():
    """bot/<domain>/ keeps the rules; handlers/<domain>/ renders: no Block Kit, no template rendered, no button."""
    offenders = []
    for domain in domains.DOMAINS:
        for path in sorted((ROOT / "bot" / domain.name).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            offenders += [f"{relative} imports {name}" for name in _imports(path)
                          if any(name == banned or name.startswith(f"{banned}.") for banned in SLACK_SIDE_ONLY)]
            offenders += [f"{relative} renders a Block Kit template" for node in ast.walk(tree)
                          if isinstance(node, ast.ImportFrom) and node.module == "bot.i18n"
                          and any(alias.name == "render" for alias in node.names)]
            offenders += [f"{relative} names an action id" for node in ast.walk(tree)
                          if isinstance(node, ast.Constant) and node.value == "action_id"]
    assert offenders == []


def _announced_events() -> set[type]:
    """Every kind of event a domain declares in its bot/<domain>/events.py."""
    found: set[type] = set()
    for domain in domains.DOMAINS:
        if (ROOT / "bot" / domain.name / "events.py").exists():
            module = importlib.import_module(f"bot.{domain.name}.events")
            found |= {value for value in vars(module).values() if isinstance(value, type)
                      and issubclass(value, Event) and value is not Event and value.__module__ == module.__name__}
    return found


def test_every_event_a_domain_announces_is_shown_by_a_slack_side():
    events = _announced_events()
    assert len(events) > 10
    assert sorted(e.__name__ for e in events - set(domains.notices())) == []


def test_an_event_nobody_shows_is_refused_rather_than_dropped(db):
    @dataclass(frozen=True)
    class NobodyListens(Event):
        pass

    with pytest.raises(Unheard, match="NobodyListens"), db.session() as s:
        announce(s, NobodyListens())
