"""The set-up in Slack: one function per save, taking a session and the administrator acting.

Each save checks on the server that the person administers Triad (audited, allowed or not),
checks its values with the rules the organisation file uses too (``rules``), changes the
organisation and records what it saved in the audit trail, all in the caller's unit of work.
Saving a channel posts the reports that were waiting for one, in that same unit of work.

As with the report forms (``bot.reports.service``), each save is split so its form is answered before
anything is written: ``*_problems`` checks the values alone, ``check_*`` reads (the administrator, values
that need the database) and writes nothing from ``Database.read()``, and the save runs that check again.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.evidence import log as evidence
from bot.org import people, rules, working_hours
from bot.org.people import Actor
from bot.org.rules import Invalid, Problem
from bot.reports import service as reports
from bot.reports.errors import NotAllowed
from storage.models import Department, Location, Person, Report, Role, RoleAssignment, Site, Standard

if TYPE_CHECKING:
    from bot.gateway import Profile

ADMINS = "setup.admins_only"
T = TypeVar("T")


def require_admin(session: Session, actor: Actor, step: str, subject: str | None = None) -> None:
    audit.record(session, actor.id, f"setup.{step}", subject, allowed=actor.is_admin)
    if not actor.is_admin:
        raise NotAllowed(ADMINS)


def _saved(session: Session, actor: Actor, step: str, subject: str | None, **detail: Any) -> None:
    """Every save is recorded in the evidence log: who, what, and the values saved."""
    evidence.append(session, "org", f"setup.{step}", actor_id=actor.id, subject=subject,
                    detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)))


Problems = dict[str, Problem | None]


def raise_if(problems: Problems) -> None:
    """Problems found by a check, as ``Invalid``: they show under their fields."""
    found = {k: p for k, p in problems.items() if p is not None}
    if found:
        raise Invalid(found)


def _person(session: Session, slack_user_id: str) -> Person:
    return people.find(session, slack_user_id) or people.register_or_refresh(session, slack_user_id, None)


def _channel_problem(channel: str | None) -> Problem | None:
    if not channel:
        return None
    return Problem("not_a_channel") if channel.startswith("D") else rules.channel(channel)


def _users_problem(user_ids: list[str]) -> Problem | None:
    return next((p for p in map(rules.user, user_ids) if p), None)


def _set_role_holders(session: Session, role: Role, user_ids: list[str], *, department_id: int | None = None,
                      standard: Standard | None = None) -> None:
    """Exactly these people hold the role (of this department or standard) afterwards."""
    wanted = {_person(session, u).id for u in dict.fromkeys(user_ids)}
    for assignment in session.scalars(select(RoleAssignment).where(
            RoleAssignment.role == role, RoleAssignment.department_id.is_(None) if department_id is None
            else RoleAssignment.department_id == department_id,
            RoleAssignment.standard.is_(None) if standard is None else RoleAssignment.standard == standard)):
        if assignment.person_id not in wanted:
            session.delete(assignment)
        wanted.discard(assignment.person_id)
    for person_id in wanted:
        session.add(RoleAssignment(person_id=person_id, role=role, department_id=department_id, standard=standard))
        for worker in session.scalars(select(RoleAssignment).where(  # a role of their own replaces "worker"
                RoleAssignment.person_id == person_id, RoleAssignment.role == Role.WORKER)):
            session.delete(worker)
    session.flush()


# --- the organisation -----------------------------------------------------------------------------

def general_problems(name: str, language: str, timezone: str) -> Problems:
    return {"name": rules.name(name), "language": rules.language(language), "timezone": rules.timezone(timezone)}


def check_general(session: Session, actor: Actor, name: str, language: str, timezone: str) -> None:
    require_admin(session, actor, "general")
    raise_if(general_problems(name, language, timezone))


def save_general(session: Session, actor: Actor, name: str, language: str, timezone: str) -> None:
    check_general(session, actor, name, language, timezone)
    org = people.organisation(session)
    sites = list(session.scalars(select(Site)))
    if len(sites) == 1 and sites[0].name_en == org.name:  # the plant's one site, named after it: renamed with it
        sites[0].name_en = sites[0].name_zh = name.strip()
    org.name, org.language, org.timezone = name.strip(), language, timezone
    _saved(session, actor, "general", None, name=org.name, language=language, timezone=timezone)


def triage_problems(channel: str | None) -> Problems:
    return {"channel": _channel_problem(channel)}


def check_triage_channel(session: Session, actor: Actor, channel: str | None) -> None:
    require_admin(session, actor, "triage")
    raise_if(triage_problems(channel))


def set_triage_channel(session: Session, actor: Actor, channel: str | None) -> int:
    """Returns how many waiting reports were posted because of it."""
    check_triage_channel(session, actor, channel)
    people.organisation(session).triage_channel_id = channel or None
    _saved(session, actor, "triage", channel, channel=channel)
    return reports.post_waiting(session)


@dataclass
class StandardSetting:
    channel: str | None = None
    owners: list[str] = field(default_factory=list)


def standards_problems(settings: dict[Standard, StandardSetting]) -> Problems:
    problems: Problems = {}
    for standard, setting in settings.items():
        problems[f"channel_{standard.value}"] = _channel_problem(setting.channel)
        problems[f"owners_{standard.value}"] = _users_problem(setting.owners)
    return problems


def check_standards(session: Session, actor: Actor, settings: dict[Standard, StandardSetting]) -> None:
    require_admin(session, actor, "standards")
    raise_if(standards_problems(settings))


def save_standards(session: Session, actor: Actor, settings: dict[Standard, StandardSetting]) -> None:
    check_standards(session, actor, settings)
    org = people.organisation(session)
    for standard, setting in settings.items():
        setattr(org, f"{standard.name.lower()}_channel_id", setting.channel or None)
        _set_role_holders(session, Role.OWNER, setting.owners, standard=standard)
    _saved(session, actor, "standards", None, **{s.value: {"channel": v.channel, "owners": v.owners}
                                                 for s, v in settings.items()})


def admins_problems(actor: Actor, user_ids: list[str]) -> Problems:
    return {"admins": _users_problem(user_ids) or (
        Problem("admins_without_you") if user_ids and actor.slack_user_id not in user_ids else None)}


def check_admins(session: Session, actor: Actor, user_ids: list[str]) -> None:
    require_admin(session, actor, "admins")
    raise_if(admins_problems(actor, user_ids))


def set_admins(session: Session, actor: Actor, user_ids: list[str]) -> None:
    """Name Triad's administrators; none named: Slack's workspace admins and owners administer it."""
    check_admins(session, actor, user_ids)
    _set_role_holders(session, Role.ADMIN, user_ids)
    _saved(session, actor, "admins", None, admins=user_ids)


# --- departments ------------------------------------------------------------------------------------

@dataclass
class DepartmentDraft:
    name_en: str = ""
    name_zh: str | None = None
    channel: str | None = None
    supervisors: list[str] = field(default_factory=list)


def _existing(session: Session, model: type[T], item_id: int | None, field_name: str) -> T | None:
    item = session.get(model, item_id) if isinstance(item_id, int) else None
    if item_id is not None and item is None:
        raise Invalid({field_name: Problem("gone")})
    return item


def department_problems(draft: DepartmentDraft) -> Problems:
    return {"name_en": rules.name(draft.name_en), "name_zh": rules.name(draft.name_zh, required=False),
            "channel": _channel_problem(draft.channel), "supervisors": _users_problem(draft.supervisors)}


def check_department(session: Session, actor: Actor, department_id: int | None,
                     draft: DepartmentDraft) -> Department | None:
    require_admin(session, actor, "department", str(department_id or "new"))
    department = _existing(session, Department, department_id, "name_en")
    others = [d.name_en for d in session.scalars(select(Department)) if d is not department]
    problems = department_problems(draft)
    problems["name_en"] = problems["name_en"] or rules.unique("department", draft.name_en, others)
    raise_if(problems)
    return department


def save_department(session: Session, actor: Actor, department_id: int | None, draft: DepartmentDraft) -> Department:
    """Add a department (``department_id`` None) or change one; its code is made from its English name."""
    department = check_department(session, actor, department_id, draft)
    if department is None:
        taken = session.scalars(select(Department.code))
        department = Department(code=rules.code_for(draft.name_en, taken, "department"))
        session.add(department)
    department.name_en = draft.name_en.strip()
    department.name_zh = (draft.name_zh or "").strip() or department.name_en
    department.channel_id = draft.channel or None
    session.flush()
    _set_role_holders(session, Role.SUPERVISOR, draft.supervisors, department_id=department.id)
    _saved(session, actor, "department", department.code, name_en=department.name_en, name_zh=department.name_zh,
           channel=department.channel_id, supervisors=draft.supervisors)
    reports.post_waiting(session)
    return department


def check_remove_department(session: Session, actor: Actor, department_id: int | None) -> Department:
    require_admin(session, actor, "department.remove", str(department_id))
    department = _existing(session, Department, department_id, "confirm")
    if department is None:
        raise Invalid({"confirm": Problem("gone")})
    count = session.scalar(select(func.count()).select_from(Report).where(Report.department_id == department.id))
    raise_if({"confirm": Problem("department_has_reports", {"count": count}) if count else None})
    return department


def remove_department(session: Session, actor: Actor, department_id: int | None) -> None:
    """Only a department no report belongs to; its people and locations stay, without a department."""
    department = check_remove_department(session, actor, department_id)
    for person in session.scalars(select(Person).where(Person.department_id == department.id)):
        person.department_id = None
    for location in session.scalars(select(Location).where(Location.department_id == department.id)):
        location.department_id = None
    for assignment in session.scalars(select(RoleAssignment).where(RoleAssignment.department_id == department.id)):
        session.delete(assignment)
    session.flush()
    _saved(session, actor, "department.remove", department.code, name_en=department.name_en)
    session.delete(department)


# --- locations --------------------------------------------------------------------------------------

@dataclass
class LocationDraft:
    name_en: str = ""
    name_zh: str | None = None
    department_id: int | None = None
    site_id: int | None = None


def default_site(session: Session) -> Site:
    """Locations belong to a site; a plant set up in Slack has one, named after the organisation."""
    site = session.scalar(select(Site).order_by(Site.id).limit(1))
    if site is None:
        name = people.organisation(session).name
        site = Site(code=rules.code_for(name, [], "site"), name_en=name, name_zh=name)
        session.add(site)
        session.flush()
    return site


def location_problems(draft: LocationDraft) -> Problems:
    return {"name_en": rules.name(draft.name_en), "name_zh": rules.name(draft.name_zh, required=False)}


def check_location(session: Session, actor: Actor, location_id: int | None, draft: LocationDraft) -> Location | None:
    require_admin(session, actor, "location", str(location_id or "new"))
    location = _existing(session, Location, location_id, "name_en")
    departments = {d.id for d in session.scalars(select(Department))}
    sites = {s.id for s in session.scalars(select(Site))}
    site_id = draft.site_id or (location.site_id if location else None)
    others = [loc.name_en for loc in session.scalars(select(Location).where(Location.site_id == site_id))
              if loc is not location] if site_id else []
    problems = location_problems(draft)
    problems["name_en"] = problems["name_en"] or rules.unique("location", draft.name_en, others)
    problems["department"] = rules.known("department", str(draft.department_id), map(str, departments)) \
        if draft.department_id is not None else None
    problems["site"] = rules.known("site", str(draft.site_id), map(str, sites)) if draft.site_id is not None else None
    raise_if(problems)
    return location


def save_location(session: Session, actor: Actor, location_id: int | None, draft: LocationDraft) -> Location:
    location = check_location(session, actor, location_id, draft)
    site_id = draft.site_id or (location.site_id if location else None)
    site = (session.get(Site, site_id) if site_id else None) or default_site(session)
    if location is None:
        taken_codes = [loc.code for loc in site.locations]
        location = Location(site=site, code=rules.code_for(draft.name_en, taken_codes, "location"))
        session.add(location)
    location.site = site
    location.name_en = draft.name_en.strip()
    location.name_zh = (draft.name_zh or "").strip() or location.name_en
    location.department_id = draft.department_id
    session.flush()
    _saved(session, actor, "location", location.code, name_en=location.name_en, name_zh=location.name_zh,
           department=draft.department_id, site=site.code)
    return location


def check_remove_location(session: Session, actor: Actor, location_id: int | None) -> Location:
    require_admin(session, actor, "location.remove", str(location_id))
    location = _existing(session, Location, location_id, "confirm")
    if location is None:
        raise Invalid({"confirm": Problem("gone")})
    count = session.scalar(select(func.count()).select_from(Report).where(Report.location_id == location.id))
    raise_if({"confirm": Problem("location_has_reports", {"count": count}) if count else None})
    return location


def remove_location(session: Session, actor: Actor, location_id: int | None) -> None:
    location = check_remove_location(session, actor, location_id)
    _saved(session, actor, "location.remove", location.code, name_en=location.name_en)
    session.delete(location)


# --- working hours -----------------------------------------------------------------------------------

@dataclass
class HoursDraft:
    """Working hours for the chosen people, else the chosen department, else the whole organisation;
    empty ``text`` removes what was set there (they follow the department's, the organisation's or
    ``hours.DEFAULT`` again)."""

    department_id: int | None = None
    people: list[str] = field(default_factory=list)
    text: str = ""


def working_hours_problems(draft: HoursDraft) -> Problems:
    return {"hours": working_hours.problem(draft.text),
            "people": _users_problem(draft.people) or (
                Problem("hours_department_or_people") if draft.people and draft.department_id else None)}


def check_working_hours(session: Session, actor: Actor, draft: HoursDraft) -> None:
    require_admin(session, actor, "working_hours")
    _existing(session, Department, draft.department_id, "department")
    raise_if(working_hours_problems(draft))


def save_working_hours(session: Session, actor: Actor, draft: HoursDraft) -> working_hours.Scope:
    check_working_hours(session, actor, draft)
    text = draft.text.strip() or None
    if draft.people:
        scopes = [working_hours.Scope.person(_person(session, u).id) for u in dict.fromkeys(draft.people)]
    elif draft.department_id is not None:
        scopes = [working_hours.Scope.department(draft.department_id)]
    else:
        scopes = [working_hours.Scope.organisation()]
    for scope in scopes:
        working_hours.save(session, scope, text)
    session.flush()
    saved = working_hours.current(session, scopes[0])
    _saved(session, actor, "working_hours", scopes[0].kind, department=draft.department_id,
           people=list(dict.fromkeys(draft.people)), hours=saved)
    return scopes[0]


# --- reaching the administrators ----------------------------------------------------------------------

def register_workspace_admins(session: Session, profiles: Sequence[Profile]) -> list[Person]:
    """Slack's workspace admins and owners (users.list), known from now on: asked what waits for them."""
    found = []
    for profile in profiles:
        person = people.register_or_refresh(session, profile.user_id, profile)
        found.append(person)
    session.flush()
    reports.ask_admins_about_waiting(session)
    return found

