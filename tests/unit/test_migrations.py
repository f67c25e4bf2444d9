"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import migrate
from storage.models import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # APScheduler's job store is created by migration but owned by APScheduler, not our models.
    differences = [d for d in differences if "apscheduler_jobs" not in str(d)]
    assert differences == []


def test_the_test_database_is_at_the_latest_revision(db):
    assert migrate.is_up_to_date(db.engine)


def test_running_reminder_chains_learn_their_report_when_migrated(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0004")  # before follow-up rows named their report
    engine = create_engine(url)
    with engine.begin() as conn:
        for key in ("report:7:waiting:triage:12", "report:7:urgent:injury", "setup:odd"):
            conn.execute(text("INSERT INTO follow_up (key, stage, sent_at) VALUES (:k, 0, :t)"),
                         {"k": key, "t": datetime(2026, 11, 30, tzinfo=UTC).isoformat()})
    migrate.upgrade(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT key, report_id FROM follow_up")).all())
    engine.dispose()
    assert rows == {"report:7:waiting:triage:12": 7, "report:7:urgent:injury": 7, "setup:odd": None}


def test_a_single_plant_goes_back_to_before_workspaces_and_forward_again_unchanged(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from bot.org.orgfile import load_file
    from sandbox.demo import ORG_FILE
    from storage.db import Database

    url = f"sqlite:///{tmp_path / 'plant.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as s:
        load_file(s, ORG_FILE)
    db.dispose()
    command.downgrade(migrate.alembic_config(url), "0008")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert "organisation_id" not in {row[1] for row in conn.execute(text("PRAGMA table_info(person)"))}
        people = conn.scalar(text("SELECT count(*) FROM person"))
    engine.dispose()
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM person WHERE organisation_id = 1")) == people > 0
    engine.dispose()
