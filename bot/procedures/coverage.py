"""Coverage: of the people a version in force applies to, how many have acknowledged it, and how many passed its
check at the first try; by procedure and by department, aggregated in SQL. And who is missing."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from storage.models import Acknowledgment, AckStatus, Department, Person, Procedure, ProcedureStatus, ProcedureVersion

Query = Select[*tuple[Any, ...]]  # a select of any columns


@dataclass(frozen=True)
class Line:
    id: int | None  # the procedure's, or the department's (None: people in no department)
    required: int
    acknowledged: int
    checked: int  # acknowledgments of a version with a check
    first_try: int  # of those, passed at the first attempt

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.required) if self.required else 100

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.first_try / self.checked) if self.checked else None


@dataclass(frozen=True)
class Missing:
    ack_id: int
    person_id: int
    slack_user_id: str
    name_en: str
    name_zh: str | None
    department_id: int | None
    procedure_id: int
    code: str
    version: str
    due_on: date
    assigned_at: datetime


def _in_force() -> ColumnElement[bool]:
    return Acknowledgment.procedure_id.in_(select(ProcedureVersion.procedure_id).where(
        ProcedureVersion.status == ProcedureStatus.PUBLISHED))


def _scope(query: Query, procedure_id: int | None, departments: Sequence[int] | None,
           department_id: int | None) -> Query:
    query = query.where(Acknowledgment.required.is_(True), _in_force())
    if procedure_id is not None:
        query = query.where(Acknowledgment.procedure_id == procedure_id)
    if departments is not None:
        query = query.where(Person.department_id.in_(departments))
    if department_id is not None:
        query = query.where(Person.department_id == department_id)
    return query


def _counts() -> tuple[ColumnElement[int], ...]:
    acknowledged = Acknowledgment.status == AckStatus.ACKNOWLEDGED
    return (func.count(),
            func.coalesce(func.sum(case((acknowledged, 1), else_=0)), 0),
            func.coalesce(func.sum(case((acknowledged & Acknowledgment.first_try.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((acknowledged & Acknowledgment.first_try.is_(True), 1), else_=0)), 0))


@dataclass(frozen=True)
class Summary:
    total: Line
    by_procedure: list[Line]
    by_department: list[Line]


def summary(session: Session, *, departments: Sequence[int] | None = None,
            department_id: int | None = None) -> Summary:
    """Coverage all at once: one query grouped by procedure and department (a few thousand rows for 2 million
    acknowledgments), summed here both ways; a third of the time of three queries over the same rows."""
    query = _scope(select(Acknowledgment.procedure_id, Person.department_id, *_counts())
                   .join(Person, Acknowledgment.person_id == Person.id),
                   None, departments, department_id).group_by(Acknowledgment.procedure_id, Person.department_id)
    procedures: dict[int, list[int]] = {}
    by_department: dict[int | None, list[int]] = {}
    total = [0, 0, 0, 0]
    for procedure_id, dept, *counts in session.execute(query):
        for sums in (procedures.setdefault(procedure_id, [0, 0, 0, 0]), by_department.setdefault(dept, [0, 0, 0, 0]),
                     total):
            for n, count in enumerate(counts):
                sums[n] += count
    return Summary(Line(None, *total), [Line(p, *c) for p, c in procedures.items()],
                   [Line(d, *c) for d, c in by_department.items()])


def total(session: Session, *, procedure_id: int | None = None, departments: Sequence[int] | None = None,
          department_id: int | None = None) -> Line:
    query = _scope(select(*_counts()).select_from(Acknowledgment).join(Person, Acknowledgment.person_id == Person.id),
                   procedure_id, departments, department_id)
    row = session.execute(query).one()
    return Line(None, *row)


def missing(session: Session, *, procedure_id: int | None = None, department_id: int | None = None,
            departments: Sequence[int] | None = None, limit: int | None = None) -> list[Missing]:
    """Who has not acknowledged what they owe, the longest overdue first."""
    query = _scope(select(Acknowledgment.id, Person.id, Person.slack_user_id, Person.name_en, Person.name_zh,
                          Person.department_id, Procedure.id, Procedure.code, ProcedureVersion.version,
                          Acknowledgment.due_on, Acknowledgment.assigned_at)
                   .select_from(Acknowledgment).join(Person, Acknowledgment.person_id == Person.id)
                   .join(Procedure, Acknowledgment.procedure_id == Procedure.id)
                   .join(ProcedureVersion, Acknowledgment.version_id == ProcedureVersion.id),
                   procedure_id, departments, department_id).where(Acknowledgment.status == AckStatus.PENDING)
    query = query.order_by(Acknowledgment.due_on, Procedure.code, Person.name_en)
    if limit is not None:
        query = query.limit(limit)
    return [Missing(*row) for row in session.execute(query)]


def department_names(session: Session) -> dict[int, Department]:
    return {d.id: d for d in session.scalars(select(Department))}
