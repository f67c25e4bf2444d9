"""The languages a channel is read in, for what Triad posts there (report cards, thread replies).

A channel is read by the people it belongs to: a department's channel by the department's members and
supervisors; a system's channel by that system's owners; the triage channel by everyone who triages
(supervisors, system owners, managers, administrators) and by the members of departments without a
channel of their own. Each person reads their own language (/triad language, else their Slack locale,
else the organisation's). When they all read one language the channel gets that one; when they mix,
the channel gets both, the organisation's first. A channel Triad knows nothing about gets the
organisation's language.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bot.org.people import language_from, organisation
from storage import db
from storage.models import Department, Organisation, Person, Role, RoleAssignment, Standard

TRIAGERS = (Role.SUPERVISOR, Role.OWNER, Role.MANAGER, Role.ADMIN)


db.watch(Person.__tablename__, Department.__tablename__, RoleAssignment.__tablename__, Organisation.__tablename__)


def languages(session: Session, channel_id: str | None) -> list[str]:
    org = organisation(session)
    if not channel_id:
        return [org.language]
    return db.remembered(session, ("channel languages", channel_id), lambda: _languages(session, org, channel_id))


def _languages(session: Session, org: Organisation, channel_id: str) -> list[str]:
    readers = _readers(session, org, channel_id)
    if readers is None:
        return [org.language]
    # Only what decides a language, once per distinct pair: a channel may have hundreds of readers.
    settings = session.execute(select(Person.language_override, Person.slack_locale).where(readers).distinct())
    found = {language_from(override, locale, org) for override, locale in settings}
    return sorted(found, key=lambda lang: (lang != org.language, lang)) or [org.language]


def _readers(session: Session, org: Organisation, channel_id: str) -> ColumnElement[bool] | None:
    """Who reads the channel, as a condition on Person (None: nobody Triad knows of)."""
    departments = list(session.scalars(select(Department.id).where(Department.channel_id == channel_id)))
    standards = [s for s in Standard if org.channel_for(s) == channel_id]
    who: list[ColumnElement[bool]] = []
    if departments:
        who += [Person.department_id.in_(departments),
                Person.roles.any((RoleAssignment.role == Role.SUPERVISOR)
                                 & RoleAssignment.department_id.in_(departments))]
    if standards:
        who.append(Person.roles.any((RoleAssignment.role == Role.OWNER) & RoleAssignment.standard.in_(standards)))
    if channel_id == org.triage_channel_id:
        without_channel = select(Department.id).where(Department.channel_id.is_(None))
        who += [Person.roles.any(RoleAssignment.role.in_(TRIAGERS)), Person.department_id.in_(without_channel)]
    return or_(*who) if who else None
