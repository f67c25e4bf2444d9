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


def test_the_timeline_and_the_decisions_move_into_the_evidence_log_sealed_and_back(tmp_path):
    """A plant running Triad before the evidence log keeps its history: timeline entries keep their ids (cards
    and reminders name them), decisions and set-up saves follow, and the chain vouches for all of it."""
    import json

    from alembic import command
    from sqlalchemy import create_engine, text

    from bot.evidence.verify import verify
    from storage.db import Database

    url = f"sqlite:///{tmp_path / 'plant.sqlite3'}"
    migrate.upgrade(url, "0010")
    engine = create_engine(url)
    at = "2026-11-02 09:30:00.000000"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, language, timezone) VALUES (1, 'Plant', 'en', 'UTC')"))
        conn.execute(text("INSERT INTO report (id, organisation_id, reference, kind, status, description, source_key, "
                          "anonymous, photos, created_at, occurred_at) VALUES (1, 1, 'HZ-2026-0001', 'hazard', 'new', "
                          "'Oil', 'k', 0, '[]', :at, :long_ago)"), {"at": at, "long_ago": "2026-10-01 08:00:00.000000"})
        for entry_id, kind in ((7, "filed"), (9, "acknowledged")):
            conn.execute(text("INSERT INTO report_event (id, organisation_id, report_id, at, kind, detail) "
                              "VALUES (:id, 1, 1, :at, :kind, :detail)"),
                         {"id": entry_id, "at": at, "kind": kind, "detail": json.dumps({"anonymous": False})})
        conn.execute(text("INSERT INTO audit_entry (organisation_id, at, action, subject, allowed) "
                          "VALUES (1, :at, 'report.acknowledge', 'HZ-2026-0001', 1)"), {"at": at})
        conn.execute(text("INSERT INTO audit_entry (organisation_id, at, action, subject, allowed, detail) "
                          "VALUES (1, :at, 'setup.triage.saved', 'C0TRIAGE', 1, :d)"),
                     {"at": at, "d": json.dumps({"channel": "C0TRIAGE"})})
    engine.dispose()
    migrate.upgrade(url)
    db = Database(url)
    with db.read(1) as s:
        rows = s.execute(text("SELECT id, domain, kind, subject, backdated FROM evidence_entry ORDER BY id")).all()
        result = verify(s)
    assert [tuple(r) for r in rows] == [(7, "reports", "filed", "HZ-2026-0001", 1),
                                        (9, "reports", "acknowledged", "HZ-2026-0001", 0),
                                        (10, "access", "allowed", "HZ-2026-0001", 0),
                                        (11, "org", "setup.triage", "C0TRIAGE", 0)]
    assert result.intact and result.entries == 4
    db.dispose()
    command.downgrade(migrate.alembic_config(url), "0010")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, kind FROM report_event ORDER BY id")).all() == [(7, "filed"),
                                                                                              (9, "acknowledged")]
        assert conn.execute(text("SELECT action, detail FROM audit_entry ORDER BY id")).all() == [
            ("report.acknowledge", None), ("setup.triage.saved", '{"channel": "C0TRIAGE"}')]
    engine.dispose()
