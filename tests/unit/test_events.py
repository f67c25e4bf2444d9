"""A step announces what happened, and the Slack side's notices write what it owes in the step's own
transaction: rolled back together, nothing is owed for a change that never happened."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.events import announce
from bot.reports import service
from bot.reports.events import ReportStepped
from bot.reports.service import ReportDraft
from storage.models import EvidenceEntry, OutboxMessage, Report, ReportKind
from tests.unit.reports_world import WORKER, actor, file, load_plant


class Undone(Exception):
    pass


def _owed(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_what_a_step_owes_is_rolled_back_with_it(db):
    load_plant(db)
    with db.session() as s:
        before = _owed(s)
    worker = actor(db, WORKER)
    with pytest.raises(Undone), db.session() as s:
        service.file_report(s, worker, ReportDraft(kind=ReportKind.HAZARD, description="Loose cable"), "test:undone")
        assert _owed(s) > before  # the card, the owners' call, the receipt: written in this very transaction
        raise Undone
    with db.session() as s:
        assert _owed(s) == before and s.scalar(select(func.count()).select_from(Report)) == 0


def test_an_announcement_replayed_owes_nothing_twice(db):
    """Outbox keys follow from the report and the timeline entry: the same step announced again adds no row."""
    load_plant(db)
    filed = file(db)
    with db.session() as s:
        entry_id = s.scalar(select(func.max(EvidenceEntry.id)).where(EvidenceEntry.report_id == filed.report.id))
        announce(s, ReportStepped(filed.report.id, entry_id, reporter_told=True))
        once = _owed(s)
        announce(s, ReportStepped(filed.report.id, entry_id, reporter_told=True))
        assert _owed(s) == once
