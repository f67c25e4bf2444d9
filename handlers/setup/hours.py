"""Working hours on the set-up page: what the organisation, each department and each person follows, and
the form that sets or clears them (saved by ``bot.org.settings.save_working_hours``, which checks with
``bot.org.working_hours`` as the organisation file does)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.i18n import Reader, plain, safe, text
from bot.org import people
from bot.org.settings import HoursDraft
from bot.org.values import SetupPart
from handlers.setup import views
from storage.models import Department, Person

FORM = "setup_working_hours_submit"
PART = "working_hours"
LIST_LIMIT = 15  # departments, then people, with hours of their own shown on the page


def _hours(reader: Reader, stored: str | None) -> Any:
    return text(reader, "setup.hours.shown", hours=stored)


def section(session: Session, reader: Reader) -> list[dict[str, Any]]:
    org = people.organisation(session)
    lines = [text(reader, "setup.hours.heading"), text(reader, "setup.hours.hint"),
             text(reader, "setup.hours.organisation", hours=_hours(reader, org.working_hours))
             if org.working_hours else text(reader, "setup.hours.organisation_default")]
    overrides = [text(reader, "setup.hours.department", name=d.name(reader.lang), hours=_hours(reader, d.working_hours))
                 for d in session.scalars(select(Department).where(Department.working_hours.is_not(None))
                                          .order_by(Department.name_en))]
    overrides += [text(reader, "setup.hours.person", person=safe(mrkdwn.mention(p.slack_user_id)),
                       hours=_hours(reader, p.working_hours))
                  for p in session.scalars(select(Person).where(Person.working_hours.is_not(None)).order_by(Person.id))]
    lines += overrides[:LIST_LIMIT * 2]
    if len(overrides) > LIST_LIMIT * 2:
        lines.append(text(reader, "setup.hours.more", count=len(overrides) - LIST_LIMIT * 2))
    if not overrides:
        lines.append(text(reader, "setup.hours.no_overrides"))
    return [{"divider": True},
            {"text": safe("\n").join(lines),
             "button": {"action_id": "setup_edit", "value": SetupPart(PART).encode(),
                        "label": plain(reader, "setup.hours.edit")}}]


def form(session: Session, reader: Reader) -> dict[str, Any]:
    departments = [(d.name(reader.lang), str(d.id)) for d in session.scalars(select(Department)
                                                                             .order_by(Department.name_en))]
    fields = []
    if departments:
        fields.append(views._field("department", plain(reader, "setup.hours_form.department"),
                                   views._static(departments, None),
                                   hint=plain(reader, "setup.hours_form.department_hint")))
    fields += [
        views._field("people", plain(reader, "setup.hours_form.people"), views._users([]),
                     hint=plain(reader, "setup.hours_form.people_hint")),
        views._field("hours", plain(reader, "setup.hours_form.hours"),
                     # The organisation's own hours to start from: saving the form unchanged keeps them.
                     {**views._text_input(people.organisation(session).working_hours, 500), "multiline": True,
                      "placeholder": {"type": "plain_text", "text": "mon-fri 08:00-17:00"}},
                     hint=plain(reader, "setup.hours_form.hours_hint")),
    ]
    return views._form(reader, FORM, plain(reader, "setup.hours_form.title"), fields,
                       intro=text(reader, "setup.hours_form.intro"))


def read(values: dict[str, Any]) -> HoursDraft:
    return HoursDraft(views._int(views.value(values, "department")), views._ids(values, "people"),
                      views._text(values, "hours"))
