"""The demo plant loaded into the test database, and its people as domain actors (for report unit tests)."""
from __future__ import annotations

import itertools
from datetime import timedelta

from bot.org import people
from bot.org.orgfile import load_file
from bot.reports import corrective, service
from bot.reports.service import ActionDraft, ReportDraft
from sandbox.demo import ORG_FILE
from storage.models import ActionType, ReportKind, Standard

_sources = itertools.count(1)
WORKER, SUPERVISOR, QUALITY, ENVIRONMENT, SAFETY, MANAGER = "U0ZHANG", "U0LI", "U0CHEN", "U0WANG", "U0LIU", "U0ZHAO"


def load_plant(db) -> None:
    with db.session() as s:
        load_file(s, ORG_FILE)


def actor(db, slack_id: str) -> people.Actor:
    """Cached per database: on SQLite a second session inside an open one would wait for its lock."""
    cache = db.__dict__.setdefault("_actors", {})
    if slack_id not in cache:
        with db.session() as s:
            person = people.find(s, slack_id) or people.register_or_refresh(s, slack_id, None)
            cache[slack_id] = people.actor_of(person, people.organisation(s))
    return cache[slack_id]


def department_id(db, code: str) -> int:
    from sqlalchemy import select

    from storage.models import Department

    with db.session() as s:
        return s.scalar(select(Department.id).where(Department.code == code))


def file(db, who: str = WORKER, *, kind: ReportKind = ReportKind.HAZARD, source: str | None = None,
         standards: list[Standard] | None = None, **fields) -> service.Filed:
    draft = ReportDraft(kind=kind, description=fields.pop("description", "Guard missing on press 3"),
                        standards=standards or [], **fields)
    with db.session() as s:
        return service.file_report(s, actor(db, who), draft, source or f"test:{next(_sources)}")


def assign(db, report_id: int, *, by: str = SUPERVISOR, owner: str = WORKER, verifier: str | None = None,
           days: int = 7, type: ActionType = ActionType.CORRECTIVE) -> int:
    assigner = actor(db, by)
    with db.session() as s:
        draft = ActionDraft(type=type, owner_slack_id=owner, verifier_slack_id=verifier,
                            due_on=service.today(s) + timedelta(days=days), description="Refit the guard")
        return service.assign_action(s, assigner, report_id, draft).id


def complete_and_verify(db, action_id: int, *, owner: str = WORKER, verifier: str = SUPERVISOR) -> None:
    with db.session() as s:
        corrective.complete_action(s, actor(db, owner), action_id, "Guard refitted and checked", [])
    with db.session() as s:
        corrective.verify_action(s, actor(db, verifier), action_id)


def status(db, report_id: int):
    with db.session() as s:
        return service.get(s, report_id).status
