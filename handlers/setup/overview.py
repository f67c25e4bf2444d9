"""What administrators see of the organisation: aggregated in SQL, rendered in the reader's language."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, listed, plain, render, safe, text
from bot.org import people
from bot.org.people import settings_of
from storage.models import Department, Location, Person, Role, RoleAssignment, Site, Standard


def _mentions(ids: list[str], reader: Reader) -> str:
    return listed(reader, (mrkdwn.mention(i) for i in ids)) or text(reader, "org.nobody")


def _channel(channel_id: str | None, reader: Reader) -> str:
    return mrkdwn.channel(channel_id) if channel_id else text(reader, "org.no_channel")


def org_modal(session: Session, reader: Reader) -> dict[str, Any]:
    org = settings_of(session)
    holders: dict[tuple[Role, int | None, str | None], list[str]] = {}
    for role, dept, standard, slack_id in session.execute(
            select(RoleAssignment.role, RoleAssignment.department_id, RoleAssignment.standard, Person.slack_user_id)
            .join(Person).order_by(Person.id)):
        holders.setdefault((role, dept, standard.value if standard else None), []).append(slack_id)
    headcount = dict(session.execute(select(Person.department_id, func.count()).group_by(Person.department_id)).all())

    systems = [safe(text(reader, "org.system_line", standard=plain(reader, f"common.standard.{s.value}"),
                         owners=safe(_mentions(holders.get((Role.OWNER, None, s.value), []), reader)),
                         channel=safe(_channel(org.channel_for(s), reader)))) for s in Standard]
    departments = [safe(text(reader, "org.department_line", name=d.name(reader.lang),
                             channel=safe(_channel(d.channel_id, reader)),
                             supervisors=safe(_mentions(holders.get((Role.SUPERVISOR, d.id, None), []), reader)),
                             people=headcount.get(d.id, 0)))
                   for d in session.scalars(select(Department).order_by(Department.code))]
    locations: dict[int, list[str]] = {}
    for site_id, loc_en, loc_zh in session.execute(select(Location.site_id, Location.name_en, Location.name_zh)
                                                   .order_by(Location.id)):
        locations.setdefault(site_id, []).append(loc_zh if reader.lang == "zh" else loc_en)
    sites = [text(reader, "org.site_line", name=s.name(reader.lang),
                  locations=listed(reader, locations.get(s.id, [])) or plain(reader, "common.none"))
             for s in session.scalars(select(Site).order_by(Site.code))]
    managers = text(reader, "org.managers_line",
                    managers=safe(_mentions(holders.get((Role.MANAGER, None, None), []), reader)),
                    admins=safe(_mentions([p.slack_user_id for p in people.administrators(session)], reader)))
    return render("org", reader, org={
        "name": org.name, "language": plain(reader, f"common.language.{org.language}"), "timezone": org.timezone,
        "triage": safe(_channel(org.triage_channel_id, reader)),
    }, systems=systems, departments=departments, sites=sites, managers=managers)
