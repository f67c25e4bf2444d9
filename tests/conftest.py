"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import Clock, bound, forbid_unbound
from bot.config import Settings
from storage import migrate
from storage.db import Database
from storage.models import Base

# Tests talk to loopback only: never through a proxy.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


# Reminders wait for working hours, so the suite runs at a known moment: Monday 30 November 2026,
# 09:00 in Shanghai (the demo plant's zone), at the start of the default working day.
MONDAY_MORNING = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "real_clock: the test starts other processes, which keep the real clock")
    forbid_unbound()  # an entry point that forgot to bind its runtime's clock fails here rather than telling real time


@pytest.fixture(autouse=True)
def clock(request) -> Iterator[Clock]:
    """The test's clock, at Monday morning: bound for the test's own code, and the clock of the runtime it starts
    (``harness``), so both see the same time; moving it moves theirs."""
    test_clock = Clock()
    if request.node.get_closest_marker("real_clock") is None:
        test_clock.travel_to(MONDAY_MORNING)
    with bound(test_clock):
        yield test_clock


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='triad-test-')) / 'test.sqlite3'}"
    else:
        _drop_everything(url)
    migrate.upgrade(url)
    return url


def _drop_everything(url: str) -> None:
    """Start PostgreSQL runs from an empty schema so migrations are tested from the first one."""
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()


def _empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)] + ["apscheduler_jobs"]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            # The evidence log refuses TRUNCATE (its trigger); a superuser's replica role skips triggers.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(mode="sandbox", database_url=database_url, check_links=False)  # as the sandbox has it


@pytest.fixture
def db(database_url: str):
    database = Database(database_url)
    yield database
    _empty_tables(database)
    database.dispose()


@pytest.fixture
def harness(settings: Settings, db: Database, clock: Clock):
    from sandbox.harness import Harness

    h = Harness(settings, clock=clock).start(migrate_db=False)
    yield h
    h.stop()
