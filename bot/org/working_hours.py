"""Whose working hours apply, and how they are set: the person's own, else their department's, else the
organisation's, else ``hours.DEFAULT``, always in the person's own time zone.

The organisation file and the set-up page both go through ``check`` and ``save``::

    problem = working_hours.check("mon-fri 06:00-14:00", reader)  # None, or a sentence saying what is wrong
    working_hours.save(session, working_hours.Scope.department(dept_id), "mon-fri 06:00-14:00")
    working_hours.save(session, working_hours.Scope.person(person_id), None)   # back to the department's
    working_hours.current(session, scope)                         # the text shown in the form, or None
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import clock, hours
from bot.events import Dm
from bot.i18n import Reader
from bot.org.people import organisation
from bot.org.rules import Problem
from storage.models import Department, Organisation, Person


@dataclass(frozen=True)
class Scope:
    """What working hours are set on: the whole organisation, one department or one person."""

    kind: str  # organisation | department | person
    id: int | None = None

    @staticmethod
    def organisation() -> Scope:
        return Scope("organisation")

    @staticmethod
    def department(department_id: int) -> Scope:
        return Scope("department", department_id)

    @staticmethod
    def person(person_id: int) -> Scope:
        return Scope("person", person_id)


def problem(text: str | None) -> Problem | None:
    """What is wrong with a working-hours text (``setup.invalid.hours.*``); None when it can be saved."""
    if text is None or not text.strip():
        return None  # empty: inherit
    try:
        hours.parse(text)
    except hours.HoursError as exc:
        return Problem(f"hours.{exc.key}", dict(exc.values))
    return None


def check(text: str | None, reader: Reader | None = None) -> str | None:
    """What is wrong with a working-hours text, in the reader's language (English by default)."""
    found = problem(text)
    return found.describe(reader) if found else None


def _row(session: Session, scope: Scope) -> Organisation | Department | Person:
    if scope.kind == "organisation":
        return organisation(session)
    row: Department | Person | None = (session.get(Department, scope.id) if scope.kind == "department"
                                       else session.get(Person, scope.id))
    if row is None:
        raise LookupError(f"no {scope.kind} {scope.id}")
    return row


def save(session: Session, scope: Scope, text: str | None) -> hours.Schedule | None:
    """Set (or with None / empty text, clear) the working hours of a scope; raises hours.HoursError."""
    schedule = hours.parse(text) if text and text.strip() else None
    _row(session, scope).working_hours = schedule.text() if schedule else None
    return schedule


def current(session: Session, scope: Scope) -> str | None:
    schedule = hours.Schedule.stored(_row(session, scope).working_hours)
    return schedule.text() if schedule else None


def schedule_of(session: Session, person: Person) -> hours.Schedule:
    department = person.department if person.department_id else None
    for stored in (person.working_hours, department.working_hours if department else None,
                   organisation(session).working_hours):
        if stored:
            return hours.Schedule.stored(stored) or hours.DEFAULT
    return hours.DEFAULT


def of(session: Session, person: Person) -> hours.WorkingTime:
    """The person's working time, in their own time zone (the organisation's when Slack gave none we know)."""
    try:
        return hours.WorkingTime(schedule_of(session, person), person.timezone or organisation(session).timezone)
    except hours.HoursError:
        return hours.WorkingTime(schedule_of(session, person), organisation(session).timezone)


def of_department(session: Session, department_id: int | None) -> hours.WorkingTime:
    """A department's working time in the organisation's zone: when a report's clock runs."""
    org = organisation(session)
    department = session.get(Department, department_id) if department_id else None
    stored = (department.working_hours if department else None) or org.working_hours
    return hours.WorkingTime((hours.Schedule.stored(stored) if stored else None) or hours.DEFAULT, org.timezone)


def next_working_moment(session: Session, person: Person, at: datetime) -> datetime:
    return of(session, person).next_working_moment(at)


def dm_in_hours(session: Session, key: str, person: Person, *, urgent: bool = False) -> Dm:
    """A DM held until its reader's next working moment, unless urgent (an injury, a critical risk)."""
    return Dm(person.id, key, None if urgent else next_working_moment(session, person, clock.now()))
