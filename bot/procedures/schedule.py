"""When people with pending acknowledgments are reminded, and when their supervisor and then the system owner hear
of it: a workspace's own schedule (the register file's ``reminders:``), in working days of its people."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from bot.org.people import organisation
from storage.models import AppSetting

WORKING_DAY = 8.0  # working hours: a "day" of the schedule, whatever a person's shift


@dataclass(frozen=True)
class Schedule:
    remind_every_days: int = 3  # the person, while it is pending (and after the deadline too)
    supervisor_after_days: int = 0  # working days after the deadline: their supervisor hears
    owner_after_days: int = 3  # working days after the supervisor: the system owner hears

    def hours(self, days: int) -> float:
        return days * WORKING_DAY


def _key(session: Session) -> str:
    return f"procedures.schedule.{organisation(session).id}"


def of(session: Session) -> Schedule:
    row = session.get(AppSetting, _key(session))
    if row is None:
        return Schedule()
    try:
        return Schedule(**json.loads(row.value))
    except (TypeError, ValueError):
        return Schedule()


def save(session: Session, schedule: Schedule) -> None:
    row = session.get(AppSetting, _key(session)) or AppSetting(key=_key(session), value="")
    row.value = json.dumps(asdict(schedule))
    session.add(row)
