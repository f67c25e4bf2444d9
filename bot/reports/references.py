"""Readable references per kind and year: HZ-2026-0042; an action's adds its number: HZ-2026-0042/1.

The counter row for (kind, year) is incremented with one UPDATE inside the filing transaction:
PostgreSQL locks the row until commit and SQLite's BEGIN IMMEDIATE serialises writers, so two
reports never get the same number and a rolled-back filing gives its number back. The first
report of a year inserts the row; if a parallel filing inserted it first, the insert's savepoint
rolls back and the UPDATE is tried again.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.reports.kinds import PREFIX
from storage.models import CorrectiveAction, ReferenceCounter, ReportKind


def next_reference(session: Session, kind: ReportKind, year: int) -> str:
    return f"{PREFIX[kind]}-{year}-{_next_number(session, kind, year):04d}"


def _next_number(session: Session, kind: ReportKind, year: int) -> int:
    for _ in range(2):
        number = session.scalar(update(ReferenceCounter)
                                .where(ReferenceCounter.kind == kind, ReferenceCounter.year == year)
                                .values(last_number=ReferenceCounter.last_number + 1)
                                .returning(ReferenceCounter.last_number))
        if number is not None:
            return int(number)
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(kind=kind, year=year, last_number=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"could not number a {kind.value} report for {year}")


def action_subject(action: CorrectiveAction) -> str:
    return f"{action.report.reference}/{action.number}"
