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
