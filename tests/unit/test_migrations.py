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
