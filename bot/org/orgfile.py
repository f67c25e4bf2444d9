"""The organisation file: departments, sites, people and roles, checked before anything is written.

Every problem is reported with the line it is on; a file with any problem changes nothing.
The format is documented in examples/org.yml. The problems the shared rules find (``rules``: names,
channels, working hours...) are told in the reader's language, English unless asked otherwise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from yaml.nodes import MappingNode, Node, ScalarNode

from bot import clock
from bot.evidence import log as evidence
from bot.filecheck import Checker, FileProblems, Names, compose
from bot.i18n import Reader
from bot.org import rules, working_hours
from bot.org.people import organisation
from bot.org.rules import STANDARD_NAMES
from storage.models import Department, Location, Person, Role, RoleAssignment, Site, Standard


class OrgFileError(FileProblems):
    """The organisation file's problems, each with its line."""


@dataclass
class PersonSpec:
    slack_id: str
    names: Names
    department: str | None
    roles: list[tuple[Role, str | None, Standard | None]]
    site: str | None = None  # where they work: a procedure's audience may name it


@dataclass
class OrgSpec:
    name: str
    language: str
    timezone: str
    triage_channel: str | None
    standard_channels: dict[Standard, str]
    sites: list[tuple[str, Names, list[tuple[str, Names, str | None]]]] = field(default_factory=list)
    departments: list[tuple[str, Names, str | None]] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    # Working hours given in the file, as shift texts, by ("organisation", None), ("department", code)
    # or ("person", slack id); what the file leaves out is left as it is.
    working_hours: dict[tuple[str, str | None], str] = field(default_factory=dict)


def parse(text: str, source: str = "org file", reader: Reader | None = None) -> OrgSpec:
    """Check the whole file; raises OrgFileError listing every problem with its line."""
    check = Checker(source, reader)
    root = compose(text, source, OrgFileError)
    top = check.mapping(root, "the file", {"organisation", "sites", "departments", "people"}, {"organisation"})
    if top is None or "organisation" not in top:
        raise OrgFileError(check.problems)

    spec = _organisation(check, top["organisation"])
    department_codes: set[str] = set()
    department_names: list[str] = []
    for node in check.sequence(top.get("departments"), "departments"):
        d = check.mapping(node, "a department", {"code", "name", "channel", "working_hours"}, {"code", "name"})
        if d is None:
            continue
        code = check.checked(d.get("code"), "department code", rules.code)
        names = check.names(d.get("name"), "department", node)
        channel = check.checked(d.get("channel"), "department channel", rules.channel)
        if code and check.problem(d["code"], "department code", rules.unique("department", code, department_codes)) \
                and names and check.problem(node, "department name",
                                            rules.unique("department", names.en, department_names)):
            department_codes.add(code)
            department_names.append(names.en)
            spec.departments.append((code, names, channel))
            _hours(check, d.get("working_hours"), f"working hours of {code}", spec, ("department", code))

    site_codes: set[str] = set()
    for node in check.sequence(top.get("sites"), "sites"):
        s = check.mapping(node, "a site", {"code", "name", "locations"}, {"code", "name"})
        if s is None:
            continue
        code = check.checked(s.get("code"), "site code", rules.code)
        names = check.names(s.get("name"), "site", node)
        locations: list[tuple[str, Names, str | None]] = []
        location_codes: set[str] = set()
        for location_node in check.sequence(s.get("locations"), "locations"):
            loc = check.mapping(location_node, "a location", {"code", "name", "department"}, {"code", "name"})
            if loc is None:
                continue
            loc_code = check.checked(loc.get("code"), "location code", rules.code)
            loc_names = check.names(loc.get("name"), "location", location_node)
            loc_department = check.checked(loc.get("department"), "location department",
                                           lambda v: rules.known("department", v, department_codes))
            if loc_code and check.problem(loc["code"], "location code",
                                          rules.unique("location", loc_code, location_codes)) and loc_names:
                location_codes.add(loc_code)
                locations.append((loc_code, loc_names, loc_department))
        if code and check.problem(s["code"], "site code", rules.unique("site", code, site_codes)) and names:
            site_codes.add(code)
            spec.sites.append((code, names, locations))

    people_ids: set[str] = set()
    for node in check.sequence(top.get("people"), "people"):
        p = check.mapping(node, "a person", {"slack_id", "name", "department", "site", "roles", "working_hours"},
                          {"slack_id", "name"})
        if p is None:
            continue
        slack_id = check.checked(p.get("slack_id"), "slack_id", rules.user)
        names = check.names(p.get("name"), "person", node)
        department = check.checked(p.get("department"), "department",
                                   lambda v: rules.known("department", v, department_codes))
        site = check.checked(p.get("site"), "site", lambda v: rules.known("site", v, site_codes))
        roles = _roles(check, p.get("roles"), department_codes)
        if slack_id and check.problem(p["slack_id"], "slack_id", rules.unique("person", slack_id, people_ids)) \
                and names:
            people_ids.add(slack_id)
            spec.people.append(PersonSpec(slack_id, names, department, roles, site))
            _hours(check, p.get("working_hours"), f"working hours of {slack_id}", spec, ("person", slack_id))

    if check.problems:
        raise OrgFileError(check.problems)
    return spec


def _organisation(check: Checker, node: Node) -> OrgSpec:
    o = check.mapping(node, "organisation", {"name", "language", "timezone", "triage_channel", "standards",
                                             "working_hours"}, {"name"}) or {}
    language = check.checked(o.get("language"), "language", rules.language) or "en"
    tz = check.checked(o.get("timezone"), "timezone", rules.timezone) or "UTC"
    channels: dict[Standard, str] = {}
    standards = check.mapping(o["standards"], "standards", set(STANDARD_NAMES)) if "standards" in o else {}
    for name, value in (standards or {}).items():
        s = check.mapping(value, f"standards.{name}", {"channel"}, {"channel"})
        channel = check.checked((s or {}).get("channel"), f"{name} channel", rules.channel)
        if channel:
            channels[STANDARD_NAMES[name]] = channel
    spec = OrgSpec(name=check.text(o.get("name"), "organisation name") or "", language=language, timezone=tz,
                   triage_channel=check.checked(o.get("triage_channel"), "triage_channel", rules.channel),
                   standard_channels=channels)
    _hours(check, o.get("working_hours"), "working hours", spec, ("organisation", None))
    return spec


def _hours(check: Checker, node: Node | None, what: str, spec: OrgSpec, scope: tuple[str, str | None]) -> None:
    """``working_hours: mon-fri 08:00-17:00``, or a list of shifts (one per line), checked as the set-up page does."""
    if node is None:
        return
    items = [node] if isinstance(node, ScalarNode) else check.sequence(node, what)
    shifts = [value for item in items if (value := check.text(item, what)) is not None]
    if not items:
        check.fail(node, f"{what} must not be empty")
    if len(shifts) != len(items) or not shifts:
        return
    value = ", ".join(shifts)
    if check.problem(node, what, rules.working_hours(value)):
        spec.working_hours[scope] = value


def _roles(check: Checker, node: Node | None, departments: set[str]) -> list[tuple[Role, str | None, Standard | None]]:
    roles: list[tuple[Role, str | None, Standard | None]] = []
    for item in check.sequence(node, "roles"):
        if isinstance(item, ScalarNode) and item.value in ("worker", "manager", "admin"):
            roles.append((Role(item.value), None, None))
        elif (isinstance(item, MappingNode) and len(item.value) == 1
              and item.value[0][0].value in ("supervisor", "owner")):
            kind, value = item.value[0][0].value, check.text(item.value[0][1], item.value[0][0].value)
            if value is None:
                continue
            if kind == "supervisor":
                if check.problem(item, "supervisor", rules.known("department", value, departments)):
                    roles.append((Role.SUPERVISOR, value, None))
            elif check.problem(item, "owner", rules.standard(value)):
                roles.append((Role.OWNER, None, STANDARD_NAMES[value]))
        else:
            check.fail(item, "a role is worker, manager, admin, {supervisor: <department>} or "
                             "{owner: quality|environment|safety}")
    return roles or [(Role.WORKER, None, None)]


@dataclass(frozen=True)
class LoadSummary:
    departments: int
    sites: int
    locations: int
    people: int


def apply(session: Session, spec: OrgSpec, source: str | None = None) -> LoadSummary:
    """Write a checked spec: upsert by code / Slack id. Runs inside the caller's unit of work; the load is
    recorded in the evidence log, with every role given (``source``: the file's name)."""
    org = organisation(session)
    org.name, org.language, org.timezone = spec.name, spec.language, spec.timezone
    org.triage_channel_id = spec.triage_channel
    org.quality_channel_id = spec.standard_channels.get(Standard.QUALITY)
    org.environment_channel_id = spec.standard_channels.get(Standard.ENVIRONMENT)
    org.safety_channel_id = spec.standard_channels.get(Standard.SAFETY)

    departments = {d.code: d for d in session.scalars(select(Department))}
    for code, names, channel in spec.departments:
        d = departments.get(code) or Department(code=code)
        d.name_en, d.name_zh, d.channel_id = names.en, names.zh or names.en, channel
        session.add(d)
        departments[code] = d
    sites = {s.code: s for s in session.scalars(select(Site))}
    location_count = 0
    for code, names, locations in spec.sites:
        site = sites[code] = sites.get(code) or Site(code=code)
        site.name_en, site.name_zh = names.en, names.zh or names.en
        session.add(site)
        session.flush()
        existing = {loc.code: loc for loc in site.locations}
        for loc_code, loc_names, loc_department in locations:
            loc = existing.get(loc_code) or Location(code=loc_code, site=site)
            loc.name_en, loc.name_zh = loc_names.en, loc_names.zh or loc_names.en
            loc.department_id = departments[loc_department].id if loc_department else None
            session.add(loc)
            location_count += 1
    session.flush()
    people = {p.slack_user_id: p for p in session.scalars(select(Person))}
    for ps in spec.people:
        person = people.get(ps.slack_id) or Person(slack_user_id=ps.slack_id, created_at=clock.now())
        people[ps.slack_id] = person
        person.name_en, person.name_zh = ps.names.en, ps.names.zh
        person.department = departments[ps.department] if ps.department else None
        person.site_id = sites[ps.site].id if ps.site else None
        person.roles.clear()
        session.add(person)
        session.flush()  # delete the old roles before adding the new ones (unique constraint)
        for role, dept, standard in ps.roles:
            person.roles.append(RoleAssignment(role=role, department=departments[dept] if dept else None,
                                               standard=standard))
    session.flush()
    for (kind, key), value in spec.working_hours.items():
        if kind == "organisation":
            working_hours.save(session, working_hours.Scope.organisation(), value)
        elif kind == "department" and key:
            working_hours.save(session, working_hours.Scope.department(departments[key].id), value)
        elif key:
            working_hours.save(session, working_hours.Scope.person(people[key].id), value)
    summary = LoadSummary(len(spec.departments), len(spec.sites), location_count, len(spec.people))
    evidence.append(session, "org", "org_file_loaded", subject=(source or "")[-64:] or None, detail={
        "name": spec.name, "language": spec.language, "timezone": spec.timezone, **asdict(summary),
        "roles": sorted([ps.slack_id, role.value, dept, standard.value if standard else None]
                        for ps in spec.people for role, dept, standard in ps.roles)})  # who may do what: 5.3
    return summary


def load_file(session: Session, path: Path, reader: Reader | None = None) -> LoadSummary:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrgFileError([f"{path}: cannot be read ({exc.strerror})"]) from None
    return apply(session, parse(text, str(path), reader), path.name)
