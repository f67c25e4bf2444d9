"""Who is in a version's audience, as SQL: everyone, or anyone in one of its departments, roles or sites."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select

from bot.procedures.values import Audience
from storage.models import Department, Person, RoleAssignment, Site


def condition(audience: Audience) -> ColumnElement[bool]:
    if audience.everyone:
        return Person.id.is_not(None)
    found: list[ColumnElement[bool]] = []
    if audience.departments:
        found.append(Person.department_id.in_(select(Department.id).where(Department.code.in_(audience.departments))))
    if audience.sites:
        found.append(Person.site_id.in_(select(Site.id).where(Site.code.in_(audience.sites))))
    if audience.roles:
        found.append(Person.id.in_(select(RoleAssignment.person_id).where(RoleAssignment.role.in_(audience.roles))))
    return or_(*found) if found else false()


def members(audience: Audience) -> Select[int]:
    """The ids of the people it applies to."""
    return select(Person.id).where(condition(audience))
