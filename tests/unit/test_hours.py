"""Working hours: the rule every reminder waits for, the organisation file that sets it, and the API the
set-up page saves it with."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import hours
from bot.org import working_hours
from bot.org.orgfile import OrgFileError, apply, parse
from tests.unit.reports_world import load_plant

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str, tz=SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def local(moment: datetime, tz=SHANGHAI) -> str:
    return moment.astimezone(tz).strftime("%a %H:%M")


OFFICE = hours.WorkingTime(hours.OFFICE, "Asia/Shanghai")
NIGHTS = hours.WorkingTime(hours.parse("sun-thu 22:00-06:00"), "Asia/Shanghai")


def test_an_office_day_is_working_time_and_the_evening_and_weekend_are_not():
    assert OFFICE.is_working(at("2026-11-30 09:00"))  # Monday
    assert not OFFICE.is_working(at("2026-11-30 17:00"))  # the end is not inside
    assert not OFFICE.is_working(at("2026-12-05 10:00"))  # Saturday
    assert local(OFFICE.next_working_moment(at("2026-12-04 18:30"))) == "Mon 08:00"
    assert OFFICE.next_working_moment(at("2026-11-30 09:00")) == at("2026-11-30 09:00")


def test_a_night_shift_runs_past_midnight_and_belongs_to_the_day_it_starts():
    assert NIGHTS.is_working(at("2026-11-30 02:00"))  # Monday 02:00: Sunday's shift
    assert NIGHTS.is_working(at("2026-12-03 23:00"))  # Thursday night
    assert not NIGHTS.is_working(at("2026-12-05 02:00"))  # Saturday 02:00: Friday has no shift
    assert local(NIGHTS.next_working_moment(at("2026-12-04 07:00"))) == "Sun 22:00"


def test_once_per_working_day_counts_a_night_shift_as_the_day_it_began():
    from datetime import date

    monday_night = date(2026, 11, 30)
    assert NIGHTS.working_day(at("2026-11-30 23:00")) == NIGHTS.working_day(at("2026-12-01 05:30")) == monday_night
    assert NIGHTS.working_day(at("2026-12-01 12:00")) is None
    assert OFFICE.working_day(at("2026-12-05 10:00")) is None  # Saturday
    always = hours.WorkingTime(hours.ALWAYS, "Asia/Shanghai")
    assert always.working_day(at("2026-12-05 00:30")) == date(2026, 12, 5)  # round the clock: each calendar day


def test_adding_working_hours_skips_the_night_and_the_weekend():
    assert local(OFFICE.add_working_hours(at("2026-12-04 16:00"), 8)) == "Mon 15:00"  # 1 h Friday, 7 h Monday
    assert local(OFFICE.add_working_hours(at("2026-12-05 12:00"), 1)) == "Mon 09:00"
    assert local(NIGHTS.add_working_hours(at("2026-12-03 05:00"), 2)) == "Thu 23:00"  # 1 h, then the next night
    always = hours.WorkingTime(hours.ALWAYS, "UTC")
    assert always.add_working_hours(at("2026-12-05 12:00"), 30) == at("2026-12-06 18:00")


def test_each_person_is_measured_in_their_own_time_zone():
    berlin = hours.WorkingTime(hours.OFFICE, "Europe/Berlin")
    monday_9_shanghai = at("2026-11-30 09:00")  # 02:00 in Berlin
    assert OFFICE.is_working(monday_9_shanghai) and not berlin.is_working(monday_9_shanghai)
    assert berlin.next_working_moment(monday_9_shanghai) == at("2026-11-30 08:00", ZoneInfo("Europe/Berlin"))


def test_overlapping_shifts_are_one_working_time():
    two_shifts = hours.WorkingTime(hours.parse("mon-fri 06:00-14:00, mon-fri 14:00-22:00, mon 12:00-15:00"),
                                   "Asia/Shanghai")
    assert list(two_shifts.intervals(at("2026-11-30 07:00")))[0] == (at("2026-11-30 07:00"), at("2026-11-30 22:00"))


@pytest.mark.parametrize("text, shown", [
    ("mon-fri 08:00-17:00", "mon-fri 08:00-17:00"),
    ("Mon-Fri 8:00-17:00; sat 08:00-12:00", "mon-fri 08:00-17:00, sat 08:00-12:00"),
    ("sun-thu 22:00-06:00", "sun-thu 22:00-06:00"),
    ("mon,wed,fri 07:30-24:00", "mon,wed,fri 07:30-24:00"),
    ("daily 00:00-24:00", "always"),
    ("always", "always"),
])
def test_schedules_read_and_show_as_people_write_them(text, shown):
    assert hours.parse(text).text() == shown
    assert hours.Schedule.stored(hours.parse(text).text()) == hours.parse(text)


@pytest.mark.parametrize("text, says, zh", [
    ("", "empty", "工作时间为空"), ("weekdays 8-5", "“weekdays 8-5” is not a shift", "“weekdays 8-5”不是班次"),
    ("mon-fri 25:00-26:00", "25:00 is not a time of day", "25:00 不是有效的时刻"),
    ("mon-fri 08:00-08:00", "starts and ends at the same time", "开始时间和结束时间相同"),
    ("mon-fra 08:00-17:00", "the days are mon, tue", "星期请用 mon、tue"),
])
def test_a_schedule_that_cannot_be_read_says_why_in_the_readers_language(text, says, zh):
    from bot.i18n import Reader

    if text:
        assert says in working_hours.check(text) and zh in working_hours.check(text, Reader(lang="zh"))
    with pytest.raises(hours.HoursError) as caught:
        hours.parse(text)
    problem = working_hours.Problem(f"hours.{caught.value.key}", dict(caught.value.values))
    assert says in problem.describe() and zh in problem.describe(Reader(lang="zh"))


def test_the_organisation_file_tells_working_hours_problems_in_the_language_asked():
    from bot.i18n import Reader

    text = "organisation:\n  name: Test\n  working_hours: weekdays 8-5\n"
    with pytest.raises(OrgFileError) as english:
        parse(text)
    with pytest.raises(OrgFileError) as chinese:
        parse(text, reader=Reader(lang="zh"))
    assert "“weekdays 8-5” is not a shift" in english.value.problems[0]
    assert "“weekdays 8-5”不是班次" in chinese.value.problems[0] and "line 3" in chinese.value.problems[0]


# --- who follows which hours; the API the set-up page uses ---------------------------------------------

def test_a_person_follows_their_own_hours_else_their_departments_else_the_organisations(db):
    from bot.org import people
    from storage.models import Department

    load_plant(db)  # examples/org.yml: office hours, Stamping two shifts, Zhang Wei the early shift
    with db.session() as s:
        zhang, li, chen = (people.find(s, u) for u in ("U0ZHANG", "U0LI", "U0CHEN"))
        assert working_hours.schedule_of(s, zhang).text() == "mon-fri 06:00-14:00"
        assert working_hours.schedule_of(s, li).text() == "mon-fri 06:00-14:00, mon-fri 14:00-22:00"
        assert working_hours.schedule_of(s, chen).text() == "mon-fri 08:00-17:00"
        stamping = s.query(Department).filter_by(code="stamping").one()
        assert working_hours.current(s, working_hours.Scope.department(stamping.id)).startswith("mon-fri 06:00")
        working_hours.save(s, working_hours.Scope.person(zhang.id), None)  # back to the department's
        working_hours.save(s, working_hours.Scope.organisation(), "always")
        with pytest.raises(hours.HoursError):
            working_hours.save(s, working_hours.Scope.department(stamping.id), "whenever")
    with db.session() as s:
        zhang, chen = people.find(s, "U0ZHANG"), people.find(s, "U0CHEN")
        assert working_hours.schedule_of(s, zhang).text().startswith("mon-fri 06:00-14:00, mon-fri 14:00")
        assert working_hours.schedule_of(s, chen) == hours.ALWAYS
        zhang.timezone = "Europe/Berlin"
        assert working_hours.of(s, zhang).tz == ZoneInfo("Europe/Berlin")


def test_the_organisation_file_checks_working_hours_with_their_line(db):
    text = """organisation:
  name: Test
  working_hours: mon-fri 08:00-17:00
departments:
  - code: a
    name: A
    working_hours: [mon-fri 06:00-14:00, fri-mon 25:00-06:00]
people:
  - slack_id: U0AAA
    name: Ann
    working_hours: []
"""
    with pytest.raises(OrgFileError) as caught:
        parse(text)
    assert [p.split(":")[0] for p in caught.value.problems] == ["org file line 7", "org file line 11"]
    assert "25:00 is not a time of day" in caught.value.problems[0]
    spec = parse(text.replace("25:00", "22:00").replace("working_hours: []", "working_hours: always"))
    with db.session() as s:
        apply(s, spec)
        from bot.org import people
        ann = people.find(s, "U0AAA")
        assert working_hours.schedule_of(s, ann) == hours.ALWAYS
        assert working_hours.current(s, working_hours.Scope.organisation()) == "mon-fri 08:00-17:00"
