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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.org.people import language_of, organisation
from storage.models import Department, Person, Role, RoleAssignment, Standard

TRIAGERS = (Role.SUPERVISOR, Role.OWNER, Role.MANAGER, Role.ADMIN)


def languages(session: Session, channel_id: str | None) -> list[str]:
    org = organisation(session)
    if not channel_id:
        return [org.language]
    readers = _readers(session, channel_id)
    found = {language_of(person, org) for person in readers}
    return sorted(found, key=lambda lang: (lang != org.language, lang)) or [org.language]


def _readers(session: Session, channel_id: str) -> list[Person]:
    org = organisation(session)
    departments = [d.id for d in session.scalars(select(Department).where(Department.channel_id == channel_id))]
    standards = [s for s in Standard if org.channel_for(s) == channel_id]
    who = []
    if departments:
        who += [Person.department_id.in_(departments),
                Person.roles.any((RoleAssignment.role == Role.SUPERVISOR)
                                 & RoleAssignment.department_id.in_(departments))]
    if standards:
        who.append(Person.roles.any((RoleAssignment.role == Role.OWNER) & RoleAssignment.standard.in_(standards)))
    if channel_id == org.triage_channel_id:
        without_channel = select(Department.id).where(Department.channel_id.is_(None))
        who += [Person.roles.any(RoleAssignment.role.in_(TRIAGERS)), Person.department_id.in_(without_channel)]
    if not who:
        return []
    return list(session.scalars(select(Person).where(or_(*who))))
