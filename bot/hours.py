"""Working hours: when a person can be asked for something. Pure rules, no Slack, no database.

A schedule is a list of shifts, each "days start-end" in the person's own time zone, e.g.
``mon-fri 08:00-17:00`` or, for a night shift that ends the next morning, ``sun-thu 22:00-06:00``
(a shift belongs to the day it starts). ``always`` is round the clock. Several shifts may overlap;
together they are the person's working time. Every reminder, nudge and escalation waits for it
(urgent safety alerts excepted), and later schedules (acknowledgments, quizzes, digests) use it too.

The text form is what the organisation file and the set-up page take and show::

    hours.parse("mon-fri 06:00-14:00, sat 06:00-12:00")   # -> Schedule, or HoursError (its key says why)
    WorkingTime(schedule, "Asia/Shanghai").next_working_moment(t)
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 400  # a schedule with no time in this window is treated as having none
_SHIFT = re.compile(r"^(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*|daily)\s+"
                    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


class HoursError(ValueError):
    """A schedule text that cannot be read. ``key`` (a text under ``setup.invalid.hours``, in English and
    Chinese) and ``values`` say what is wrong, for a person to fix it: ``bot.org.working_hours.problem``."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(f"{key}: {values}" if values else key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Shift:
    days: frozenset[int]  # 0 = Monday: the days the shift starts on
    start: time
    end: time | None  # None: midnight at the end of the day (24:00); end <= start: the next day

    def text(self) -> str:
        return f"{_days_text(self.days)} {self.start:%H:%M}-{'24:00' if self.end is None else f'{self.end:%H:%M}'}"

    def length(self) -> timedelta:
        start = timedelta(hours=self.start.hour, minutes=self.start.minute)
        end = timedelta(days=1) if self.end is None else timedelta(hours=self.end.hour, minutes=self.end.minute)
        return end - start if end > start else end - start + timedelta(days=1)


@dataclass(frozen=True)
class Schedule:
    shifts: tuple[Shift, ...]

    def text(self) -> str:
        if self == ALWAYS:
            return "always"
        return ", ".join(shift.text() for shift in self.shifts)

    @staticmethod
    def stored(value: str | None) -> Schedule | None:
        """A schedule as the database keeps it: its text (None: not set here)."""
        return parse(value) if value else None


ALWAYS = Schedule((Shift(frozenset(range(7)), time(0, 0), None),))
OFFICE = Schedule((Shift(frozenset(range(5)), time(8, 0), time(17, 0)),))
DEFAULT = OFFICE  # when neither the person, their department nor the organisation says otherwise


@lru_cache(maxsize=256)  # every reminder reads its reader's schedule: parse each text once
def parse(text: str) -> Schedule:
    """``mon-fri 08:00-17:00``, several shifts separated by commas or new lines, or ``always``."""
    cleaned = " ".join((text or "").lower().split())
    if not cleaned:
        raise HoursError("empty")
    if cleaned in ("always", "24/7"):
        return ALWAYS
    shifts = []
    for part in re.split(r"[;\n]|(?<=\d),", text.lower()):
        part = " ".join(part.split())
        if not part:
            continue
        match = _SHIFT.match(part)
        if not match:
            raise HoursError("not_a_shift", part=part)
        start, end = _time(match["start"], part), _time(match["end"], part, end=True)
        assert start is not None  # only an end can be 24:00
        if end == start:
            raise HoursError("same_time", part=part)
        shifts.append(Shift(_days(match["days"], part), start, end))
    return Schedule(tuple(shifts))


def _days(text: str, part: str) -> frozenset[int]:
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for piece in text.replace(" ", "").split(","):
        first, _, last = piece.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError("days", part=part)
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])  # fri-mon wraps
    return frozenset(days)


def _time(text: str, part: str, *, end: bool = False) -> time | None:
    hour, minute = (int(x) for x in text.split(":"))
    if end and (hour, minute) == (24, 0):
        return None
    if hour > 23 or minute > 59:
        raise HoursError("time", part=part, time=text, latest="24:00" if end else "23:59")
    return time(hour, minute)


def _days_text(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "daily"
    ordered = sorted(days)
    gap = next((i for i in range(len(ordered)) if (ordered[i - 1] + 1) % 7 != ordered[i]), 0)
    ordered = ordered[gap:] + ordered[:gap]  # sun-thu reads as one run, not mon-thu,sun
    runs: list[str] = []
    start = prev = ordered[0]
    for day in ordered[1:] + [None]:
        if day is not None and day == (prev + 1) % 7:
            prev = day
            continue
        runs.append(DAYS[start] if start == prev else f"{DAYS[start]}-{DAYS[prev]}")
        if day is not None:
            start = prev = day
    return ",".join(runs)


def check_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError("timezone", value=name) from None


class WorkingTime:
    """One person's working time: their schedule in their time zone. All moments are aware datetimes."""

    def __init__(self, schedule: Schedule, tz: str) -> None:
        self.schedule, self.tz = schedule, check_zone(tz)

    def intervals(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC, merged, ascending) that end after ``after``, the first clipped to start there."""
        day = after.astimezone(self.tz).date() - timedelta(days=1)  # a night shift from yesterday may still run
        pending: list[tuple[datetime, datetime]] = []
        current: tuple[datetime, datetime] | None = None
        for offset in range(HORIZON_DAYS + 2):
            pending.extend(self._shifts_on(day + timedelta(days=offset)))
            pending.sort()
            # Shifts starting on later days begin at or after the next local midnight: everything before is final.
            settled_before = self._midnight(day + timedelta(days=offset + 1))
            while pending and pending[0][0] < settled_before:
                start, end = pending.pop(0)
                if end <= after:
                    continue
                start = max(start, after)
                if current and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current:
                    yield current
                current = (start, end)
            if current and current[1] < settled_before and not any(s <= current[1] for s, _ in pending):
                yield current
                current = None
        if current:
            yield current

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz).astimezone(UTC)

    def _shifts_on(self, day: date) -> list[tuple[datetime, datetime]]:
        found = []
        for shift in self.schedule.shifts:
            if day.weekday() in shift.days:
                start = datetime.combine(day, shift.start, self.tz)
                end_day = day if shift.end is not None and shift.end > shift.start else day + timedelta(days=1)
                end = datetime.combine(end_day, shift.end or time(0), self.tz)
                found.append((start.astimezone(UTC), end.astimezone(UTC)))
        return found

    def is_working(self, t: datetime) -> bool:
        first = next(self.intervals(t), None)
        return first is not None and first[0] <= t

    def working_day(self, t: datetime) -> date | None:
        """The day the shift running at ``t`` started on, in the person's zone (a night shift's: the evening
        it began), or None outside working time: what "once per working day" counts by."""
        local = t.astimezone(self.tz).date()
        for day in (local, local - timedelta(days=1)):
            if any(start <= t < end for start, end in self._shifts_on(day)):
                return day
        return None

    def next_working_moment(self, t: datetime) -> datetime:
        """``t`` itself when it is working time, else the start of the next shift."""
        first = next(self.intervals(t), None)
        return t if first is None else first[0]

    def add_working_hours(self, t: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of working time have passed since ``t`` (0: the next working moment)."""
        left = timedelta(hours=hours)
        for start, end in self.intervals(t):
            if end - start >= left:
                return start + left
            left -= end - start
        return t + left  # no working time at all in the horizon: plain hours


def working_time(schedule: Schedule | None, tz: str) -> WorkingTime:
    return WorkingTime(schedule or DEFAULT, tz)
