"""The set-up page and its forms, built with Slack's own pickers, and their submitted values read back.

Block ids are the field names the set-up functions (``bot.org.settings``) name in their problems,
so a problem shows inline under its field. Forms carry what they edit in ``private_metadata``.
"""
from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import domains, mrkdwn
from bot.i18n import LANGUAGES, Reader, listed, plain, render, safe, text
from bot.org import people
from bot.org.settings import DepartmentDraft, LocationDraft, StandardSetting
from bot.org.values import SetupItem, SetupPart
from bot.reports import service as reports
from storage.models import Department, Location, Person, Role, RoleAssignment, Site, Standard

PAGE = "setup_page"
GENERAL_FORM = "setup_general_submit"
TRIAGE_FORM = "setup_triage_submit"
STANDARDS_FORM = "setup_standards_submit"
ADMINS_FORM = "setup_admins_submit"
DEPARTMENT_FORM = "setup_department_submit"
LOCATION_FORM = "setup_location_submit"
REMOVE_FORM = "setup_remove_submit"
LIST_LIMIT = 30  # departments or locations shown on the page (100 blocks at most in a modal)

# The time zones offered (a select shows at most 100); the organisation's own is always among them.
TIME_ZONES = (
    "UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
    "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Kolkata",
    "Asia/Karachi", "Asia/Dhaka", "Asia/Dubai", "Asia/Riyadh", "Asia/Jerusalem", "Asia/Tashkent", "Asia/Almaty",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
    "Europe/Warsaw", "Europe/Prague", "Europe/Budapest", "Europe/Bucharest", "Europe/Athens", "Europe/Helsinki",
    "Europe/Istanbul", "Europe/Kyiv", "Europe/Moscow", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos",
    "Africa/Nairobi", "Africa/Casablanca", "America/New_York", "America/Chicago", "America/Denver",
    "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "America/Toronto", "America/Vancouver",
    "America/Mexico_City", "America/Monterrey", "America/Bogota", "America/Lima", "America/Santiago",
    "America/Buenos_Aires", "America/Sao_Paulo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
    "Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland", "Pacific/Honolulu",
)


# --- the page ---------------------------------------------------------------------------------------

def _channel(channel_id: str | None, reader: Reader):
    return safe(mrkdwn.channel(channel_id)) if channel_id else text(reader, "setup.not_chosen")


def _people(ids: list[str], reader: Reader):
    return safe(listed(reader, (mrkdwn.mention(i) for i in ids))) if ids else text(reader, "setup.nobody")


def _holders(session: Session) -> dict[tuple[Role, int | None, Standard | None], list[str]]:
    found: dict[tuple[Role, int | None, Standard | None], list[str]] = {}
    for role, department_id, standard, slack_id in session.execute(
            select(RoleAssignment.role, RoleAssignment.department_id, RoleAssignment.standard, Person.slack_user_id)
            .join(Person).order_by(Person.id)):
        found.setdefault((role, department_id, standard), []).append(slack_id)
    return found


def _lines(*parts) -> Any:
    """Texts on lines of their own; each is already escaped (``text``) or the bot's own markup (``safe``)."""
    return safe("\n").join(parts)


def _edit(reader: Reader, value: str) -> dict[str, str]:
    return {"action_id": "setup_edit", "value": SetupPart(value).encode(),
            "label": plain(reader, f"setup.edit_{value}")}


def _menu(reader: Reader, kind: Literal["department", "location"], item_id: int) -> list[dict[str, str]]:
    return [{"label": plain(reader, "setup.department_edit"), "value": SetupItem(kind, item_id).encode()},
            {"label": plain(reader, "setup.department_remove"),
             "value": SetupItem(kind, item_id, remove=True).encode()}]


def page(session: Session, reader: Reader) -> dict[str, Any]:
    org = people.organisation(session)
    holders = _holders(session)
    departments = list(session.scalars(select(Department).order_by(Department.name_en)))
    names = {d.id: d.name(reader.lang) for d in departments}
    waiting = len(reports.waiting(session))
    triage = [_channel(org.triage_channel_id, reader), text(reader, "setup.triage_hint")]
    if not org.triage_channel_id:
        triage.append(text(reader, "setup.triage_missing"))
    if waiting:
        triage.append(text(reader, "setup.waiting", count=waiting))
    sections: list[dict[str, Any]] = [
        {"text": _lines(text(reader, "setup.general_heading"), text(
            reader, "setup.general_line", name=org.name, language=plain(reader, f"common.language.{org.language}"),
            timezone=org.timezone)), "button": _edit(reader, "general")},
        {"text": _lines(text(reader, "setup.triage_heading"), *triage), "button": _edit(reader, "triage")},
        {"text": _lines(text(reader, "setup.systems_heading"), *(
            text(reader, "setup.system_line", standard=plain(reader, f"common.standard.{s.value}"),
                 channel=_channel(org.channel_for(s), reader), owners=_people(holders.get((Role.OWNER, None, s), []),
                                                                            reader)) for s in Standard)),
         "button": _edit(reader, "standards")},
        {"divider": True},
        {"text": _lines(text(reader, "setup.departments_heading"),
                        *([] if departments else [text(reader, "setup.none_yet")])),
         "button": {"action_id": "setup_add", "value": SetupPart("department").encode(),
                    "label": plain(reader, "setup.add_department")}},
    ]
    for d in departments[:LIST_LIMIT]:
        sections.append({"text": text(reader, "setup.department_line", name=d.name(reader.lang),
                                      channel=_channel(d.channel_id, reader),
                                      supervisors=_people(holders.get((Role.SUPERVISOR, d.id, None), []), reader)),
                         "menu": _menu(reader, "department", d.id), "block_id": f"department:{d.id}"})
    if len(departments) > LIST_LIMIT:
        sections.append({"text": text(reader, "setup.more", count=len(departments) - LIST_LIMIT)})
    locations = list(session.execute(select(Location, Site).join(Site).order_by(Site.code, Location.name_en)))
    sections.append({"text": _lines(text(reader, "setup.locations_heading"), *([] if locations else [text(
        reader, "setup.none_yet")])), "button": {"action_id": "setup_add", "value": SetupPart("location").encode(),
                                                "label": plain(reader, "setup.add_location")}})
    several_sites = len({site.id for _, site in locations}) > 1
    for location, site in locations[:LIST_LIMIT]:
        name = location.name(reader.lang)
        if several_sites:
            name = f"{site.name(reader.lang)} · {name}"
        sections.append({"text": text(reader, "setup.location_line", name=name,
                                      department=names.get(location.department_id or 0)
                                      or plain(reader, "setup.no_department")),
                         "menu": _menu(reader, "location", location.id), "block_id": f"location:{location.id}"})
    if len(locations) > LIST_LIMIT:
        sections.append({"text": text(reader, "setup.more", count=len(locations) - LIST_LIMIT)})
    named = holders.get((Role.ADMIN, None, None), [])
    workspace = [p.slack_user_id for p in session.scalars(select(Person).where(Person.slack_admin).order_by(Person.id))]
    admins = (text(reader, "setup.admins_named", admins=_people(named, reader)) if named
              else text(reader, "setup.admins_workspace", admins=_people(workspace, reader)))
    sections += [{"divider": True},
                 {"text": _lines(text(reader, "setup.admins_heading"), admins), "button": _edit(reader, "admins")}]
    for side in domains.slack_sides():  # parts other domains add (working hours), with their own buttons
        for provider in side.setup_sections:
            sections += provider(session, reader)
    sections = [{"divider": False, "text": "", "button": None, "menu": None, "block_id": None, **section}
                for section in sections]
    return render("setup_page", reader, callback_id=PAGE, sections=sections)


# --- the forms --------------------------------------------------------------------------------------

def _field(block_id: str, label: str, element: dict[str, Any], *, hint: str | None = None,
           optional: bool = True) -> dict[str, Any]:
    return {"block_id": block_id, "label": label, "element": {"action_id": "value", **element}, "hint": hint,
            "optional": optional}


def _text_input(initial: str | None, limit: int = 200) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit}
    if initial:
        element["initial_value"] = initial
    return element


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:75], "emoji": True}, "value": value}


def _static(options: list[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select",
                               "options": [_option(label, value) for label, value in options[:100]]}
    chosen = next((o for o in element["options"] if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _conversation(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "conversations_select",
                               "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if initial:
        element["initial_conversation"] = initial
    return element


def _users(initial: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = initial
    return element


def _form(reader: Reader, callback_id: str, title: str, fields: list[dict[str, Any]],
          meta: SetupItem | None = None, *, submit: str = "setup.save",
          intro: str | None = None) -> dict[str, Any]:
    return render("setup_form", reader, callback_id=callback_id, title=title, fields=fields, intro=intro,
                  submit=plain(reader, submit), metadata=meta.encode() if meta else "")


def general_form(session: Session, reader: Reader) -> dict[str, Any]:
    org = people.organisation(session)
    zones = list(TIME_ZONES) if org.timezone in TIME_ZONES else [org.timezone, *TIME_ZONES]
    return _form(reader, GENERAL_FORM, plain(reader, "setup.general_form.title"), [
        _field("name", plain(reader, "setup.general_form.name"), _text_input(org.name), optional=False),
        _field("language", plain(reader, "setup.general_form.language"),
               _static([(plain(reader, f"common.language.{lang}"), lang) for lang in LANGUAGES], org.language),
               hint=plain(reader, "setup.general_form.language_hint"), optional=False),
        _field("timezone", plain(reader, "setup.general_form.timezone"), _static([(z, z) for z in zones], org.timezone),
               hint=plain(reader, "setup.general_form.timezone_hint"), optional=False),
    ])


def triage_form(session: Session, reader: Reader) -> dict[str, Any]:
    org = people.organisation(session)
    return _form(reader, TRIAGE_FORM, plain(reader, "setup.triage_form.title"), [
        _field("channel", plain(reader, "setup.triage_form.channel"), _conversation(org.triage_channel_id),
               hint=plain(reader, "setup.triage_form.hint"), optional=False)])


def standards_form(session: Session, reader: Reader) -> dict[str, Any]:
    org, holders = people.organisation(session), _holders(session)
    fields = []
    for s in Standard:
        name = plain(reader, f"common.standard.{s.value}")
        fields += [_field(f"channel_{s.value}", plain(reader, "setup.systems_form.channel", standard=name),
                          _conversation(org.channel_for(s)), hint=plain(reader, "setup.systems_form.channel_hint")),
                   _field(f"owners_{s.value}", plain(reader, "setup.systems_form.owners", standard=name),
                          _users(holders.get((Role.OWNER, None, s), [])),
                          hint=plain(reader, "setup.systems_form.owners_hint"))]
    return _form(reader, STANDARDS_FORM, plain(reader, "setup.systems_form.title"), fields)


def admins_form(session: Session, reader: Reader) -> dict[str, Any]:
    return _form(reader, ADMINS_FORM, plain(reader, "setup.admins_form.title"), [
        _field("admins", plain(reader, "setup.admins_form.admins"),
               _users(_holders(session).get((Role.ADMIN, None, None), [])),
               hint=plain(reader, "setup.admins_form.hint"))])


def department_form(session: Session, reader: Reader, department_id: int | None) -> dict[str, Any]:
    d = session.get(Department, department_id) if department_id else None
    supervisors = _holders(session).get((Role.SUPERVISOR, d.id, None), []) if d else []
    return _form(reader, DEPARTMENT_FORM, plain(reader, f"setup.department_form.title_{'edit' if d else 'new'}"), [
        _field("name_en", plain(reader, "setup.department_form.name_en"), _text_input(d.name_en if d else None),
               optional=False),
        _field("name_zh", plain(reader, "setup.department_form.name_zh"),
               _text_input(d.name_zh if d and d.name_zh != d.name_en else None),
               hint=plain(reader, "setup.department_form.name_zh_hint")),
        _field("channel", plain(reader, "setup.department_form.channel"), _conversation(d.channel_id if d else None),
               hint=plain(reader, "setup.department_form.channel_hint")),
        _field("supervisors", plain(reader, "setup.department_form.supervisors"), _users(supervisors),
               hint=plain(reader, "setup.department_form.supervisors_hint")),
    ], SetupItem("department", d.id) if d else None)


def location_form(session: Session, reader: Reader, location_id: int | None) -> dict[str, Any]:
    loc = session.get(Location, location_id) if location_id else None
    departments = [(d.name(reader.lang), str(d.id))
                   for d in session.scalars(select(Department).order_by(Department.name_en))]
    sites = [(s.name(reader.lang), str(s.id)) for s in session.scalars(select(Site).order_by(Site.code))]
    fields = [
        _field("name_en", plain(reader, "setup.location_form.name_en"), _text_input(loc.name_en if loc else None),
               optional=False),
        _field("name_zh", plain(reader, "setup.location_form.name_zh"),
               _text_input(loc.name_zh if loc and loc.name_zh != loc.name_en else None),
               hint=plain(reader, "setup.department_form.name_zh_hint")),
    ]
    if departments:
        fields.append(_field("department", plain(reader, "setup.location_form.department"),
                             _static(departments, str(loc.department_id) if loc and loc.department_id else None),
                             hint=plain(reader, "setup.location_form.department_hint")))
    if len(sites) > 1:
        fields.append(_field("site", plain(reader, "setup.location_form.site"),
                             _static(sites, str(loc.site_id) if loc else sites[0][1]), optional=False))
    return _form(reader, LOCATION_FORM, plain(reader, f"setup.location_form.title_{'edit' if loc else 'new'}"),
                 fields, SetupItem("location", loc.id) if loc else None)


def remove_form(session: Session, reader: Reader, kind: Literal["department", "location"], item_id: int,
                ) -> dict[str, Any] | None:
    item: Department | Location | None = (session.get(Department, item_id) if kind == "department"
                                          else session.get(Location, item_id))
    if item is None:
        return None
    return _form(reader, REMOVE_FORM, plain(reader, "setup.remove_form.title"), [], SetupItem(kind, item.id),
                 submit="setup.remove", intro=text(reader, f"setup.remove_form.{kind}", name=item.name(reader.lang)))


# --- reading submitted values -------------------------------------------------------------------------

def value(values: dict[str, Any], block_id: str) -> Any:
    """What a field holds, whichever picker it is: a text, an option's value, a channel, a list of users."""
    entry = (values.get(block_id) or {}).get("value")
    if not isinstance(entry, dict):
        return None
    for key in ("value", "selected_conversation", "selected_users", "selected_user"):
        if key in entry:
            return entry[key]
    option = entry.get("selected_option")
    return option.get("value") if isinstance(option, dict) else None


def _text(values: dict[str, Any], block_id: str) -> str:
    found = value(values, block_id)
    return found if isinstance(found, str) else ""


def _ids(values: dict[str, Any], block_id: str) -> list[str]:
    found = value(values, block_id)
    return [u for u in found if isinstance(u, str)] if isinstance(found, list) else []


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def read_general(values: dict[str, Any]) -> tuple[str, str, str]:
    return _text(values, "name"), _text(values, "language"), _text(values, "timezone")


def read_channel(values: dict[str, Any], block_id: str = "channel") -> str | None:
    return _text(values, block_id) or None


def read_standards(values: dict[str, Any]) -> dict[Standard, StandardSetting]:
    return {s: StandardSetting(read_channel(values, f"channel_{s.value}"), _ids(values, f"owners_{s.value}"))
            for s in Standard}


def read_admins(values: dict[str, Any]) -> list[str]:
    return _ids(values, "admins")


def read_department(values: dict[str, Any]) -> DepartmentDraft:
    return DepartmentDraft(_text(values, "name_en"), _text(values, "name_zh") or None, read_channel(values),
                           _ids(values, "supervisors"))


def read_location(values: dict[str, Any]) -> LocationDraft:
    return LocationDraft(_text(values, "name_en"), _text(values, "name_zh") or None,
                         _int(value(values, "department")), _int(value(values, "site")))

