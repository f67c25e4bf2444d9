"""A plant that installs Triad from manifest.yml and loads no file sets it up in Slack, through signed requests.

The workspace starts as the sandbox's demo plant does in Slack (Zhao Min owns the workspace), but
Triad knows nothing: no organisation file is loaded.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.org.values import SetupItem, SetupPart
from sandbox.emulator import interactive_elements
from sandbox.harness import Harness
from storage.models import Department, EvidenceEntry, Location, Organisation, OutboxMessage, Report

WORKER, SUPERVISOR, SAFETY, OWNER = "U0ZHANG", "U0LI", "U0LIU", "U0ZHAO"  # OWNER: the workspace's owner


@pytest.fixture
def plant(settings, db, clock):
    h = Harness(settings, org_file=None, clock=clock).start(migrate_db=False)
    yield h
    h.stop()


def dumped(thing) -> str:
    return json.dumps(thing, ensure_ascii=False)


def page(h, user: str = OWNER) -> dict:
    return h.emulator.wait_for(lambda: h.emulator.open_modal(user), description=f"the set-up page for {user}")


def open_page(h, user: str = OWNER) -> dict:
    assert h.driver.slash(user, "/triad", "setup").status == 200
    return page(h, user)


def top(h, user: str, callback_id: str) -> dict:
    return h.emulator.wait_for(lambda: (v := h.emulator.open_modal(user)) and v.get("callback_id") == callback_id and v,
                               description=callback_id)


def edit(h, part: str, user: str = OWNER) -> dict:
    """Press a part's Edit button on the page; returns the form pushed over it."""
    h.driver.press_button(user, page(h, user), action_id="setup_edit", value=SetupPart(part).encode())
    return top(h, user, f"setup_{part}_submit")


def add(h, kind: str, values: dict, user: str = OWNER):
    h.driver.press_button(user, page(h, user), action_id="setup_add", value=SetupPart(kind).encode())
    top(h, user, f"setup_{kind}_submit")
    return h.driver.submit(user, values)


def redrawn(h, user: str, needle: str) -> dict:
    return h.emulator.wait_for(lambda: (v := h.emulator.open_modal(user)) and v.get("callback_id") == "setup_page"
                               and needle in dumped(v) and v, description=f"the page showing {needle}")


def dms(h, user: str, deliver: bool = True) -> str:
    if deliver:
        h.deliver()
    return dumped([m for m in h.emulator.dm_messages(user) if m.get("user") != user])


def audit(h) -> list[tuple[str, bool]]:
    with h.db.session() as s:
        return [(e.detail["step"], e.kind == "allowed") if e.domain == "access" else (f"{e.kind}.saved", True)
                for e in s.scalars(select(EvidenceEntry).where(EvidenceEntry.domain.in_(("access", "org")))
                                   .order_by(EvidenceEntry.id))]


# --- who administers Triad ------------------------------------------------------------------------------

def test_the_workspace_owner_administers_triad_until_the_organisation_names_its_administrators(plant):
    h = plant
    h.emulator.add_user("U0BOSS", "boss", "Sun Mei", is_admin=True)
    assert "setup_edit" in dumped(open_page(h))  # Zhao owns the workspace: the page opens
    h.driver.close(OWNER)
    h.driver.slash(WORKER, "/triad", "setup")
    refusal = h.emulator.wait_for(lambda: h.emulator.ephemerals(WORKER))[-1]["text"]
    assert "管理员" in refusal and h.emulator.open_modal(WORKER) is None

    h.driver.slash("U0BOSS", "/triad", "setup")  # a workspace admin (not owner): also a Triad admin for now
    assert page(h, "U0BOSS")["callback_id"] == "setup_page"
    open_page(h)
    edit(h, "admins")
    answer = h.driver.submit(OWNER, {"admins": [SUPERVISOR]})  # naming others only would lock Zhao out
    assert "Add yourself too" in answer.json["errors"]["admins"]
    assert h.driver.submit(OWNER, {"admins": [OWNER, SUPERVISOR]}).json is None
    redrawn(h, OWNER, "<@U0LI>")

    h.driver.slash("U0BOSS", "/triad", "setup")  # a workspace admin, but the organisation names its own now
    assert "Sorry, only an administrator" in h.emulator.wait_for(lambda: h.emulator.ephemerals("U0BOSS"))[-1]["text"]
    h.driver.slash(SUPERVISOR, "/triad", "setup")
    assert page(h, SUPERVISOR)["callback_id"] == "setup_page"
    assert ("setup.admins.saved", True) in audit(h)
    assert [a for a in audit(h) if a[0] == "setup.open"] == [
        ("setup.open", True), ("setup.open", False), ("setup.open", True), ("setup.open", True), ("setup.open", False),
        ("setup.open", True)]


def test_app_home_offers_administrators_the_set_up_and_says_what_is_missing(plant):
    h = plant
    h.driver.home_opened(OWNER)
    home = dumped(h.emulator.wait_for(lambda: h.emulator.home(OWNER)))
    assert "home_setup" in home and "no triage channel yet" in home
    h.driver.home_opened(WORKER)
    assert "home_setup" not in dumped(h.emulator.wait_for(lambda: h.emulator.home(WORKER)))
    h.driver.press_button(OWNER, h.emulator.home(OWNER), action_id="home_setup")
    assert page(h)["callback_id"] == "setup_page"


# --- the page and its pickers -----------------------------------------------------------------------------

def test_an_administrator_sets_the_plant_up_with_slacks_pickers_and_every_save_is_recorded(plant):
    h = plant
    open_page(h)
    form = edit(h, "triage")
    assert [e["type"] for _, e in interactive_elements(form["blocks"])] == ["conversations_select"]
    refused = h.driver.submit(OWNER, {"channel": "D0ZHAO"})
    assert "Choose a channel, not a direct message" in refused.json["errors"]["channel"]
    assert h.driver.submit(OWNER, {"channel": "C0TRIAGE"}).json is None
    redrawn(h, OWNER, "<#C0TRIAGE>")

    form = edit(h, "standards")
    pickers = {e["type"] for _, e in interactive_elements(form["blocks"])}
    assert pickers == {"conversations_select", "multi_users_select"}
    h.driver.submit(OWNER, {"channel_iso45001": "C0SAFETY", "owners_iso45001": [SAFETY]})
    redrawn(h, OWNER, "<@U0LIU>")

    assert add(h, "department", {"name_en": "Stamping", "name_zh": "冲压车间", "channel": "C0STAMP",
                                 "supervisors": [SUPERVISOR]}).json is None
    redrawn(h, OWNER, "Stamping")
    duplicate = add(h, "department", {"name_en": "stamping"})
    assert "There is already a department “stamping”" in duplicate.json["errors"]["name_en"]
    h.driver.close(OWNER)
    assert add(h, "location", {"name_en": "Press line 3", "name_zh": "3号压机线"}).status == 200
    with h.db.session() as s:
        stamping = s.scalar(select(Department))
        assert (stamping.code, stamping.channel_id) == ("stamping", "C0STAMP")
    h.emulator.wait_for(lambda: "Press line 3" in dumped(h.emulator.open_modal(OWNER)))

    form = edit(h, "general")
    assert [e["type"] for _, e in interactive_elements(form["blocks"])] == ["plain_text_input", "static_select",
                                                                            "static_select"]
    h.driver.submit(OWNER, {"name": "Riverside Stamping Works", "language": "zh", "timezone": "Asia/Shanghai"})
    redrawn(h, OWNER, "Riverside Stamping Works")
    with h.db.session() as s:
        org = s.scalar(select(Organisation))
        assert (org.name, org.language, org.timezone, org.triage_channel_id, org.safety_channel_id) == (
            "Riverside Stamping Works", "zh", "Asia/Shanghai", "C0TRIAGE", "C0SAFETY")
    saves = [a for a, allowed in audit(h) if a.endswith(".saved")]
    assert saves == ["setup.triage.saved", "setup.standards.saved", "setup.department.saved",
                     "setup.location.saved", "setup.general.saved"]

    # What was set up works: Zhang's report goes to his supervisor's channel, the safety owner is called in.
    h.driver.press(OWNER, "setup_item", view=page(h), block_id=f"location:{_id(h, Location)}",
                   selected_option=SetupItem("location", _id(h, Location)).encode())
    top(h, OWNER, "setup_location_submit")
    h.driver.submit(OWNER, {"name_en": "Press line 3", "department": str(_id(h, Department))})
    redrawn(h, OWNER, "Press line 3* · Stamping")
    h.driver.slash(WORKER, "/report", "hazard guard missing on press 3")
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    h.driver.submit(WORKER, {"location": str(_id(h, Location))})  # the place names its department
    h.deliver()
    assert "guard missing" in dumped(h.emulator.messages("C0STAMP"))
    assert "guard missing" in dumped(h.emulator.messages("C0SAFETY"))


def _id(h, model) -> int:
    with h.db.session() as s:
        return s.scalar(select(model.id))


def test_the_set_up_page_speaks_the_administrators_language(plant):
    h = plant
    h.driver.slash(OWNER, "/triad", "language zh")
    h.emulator.wait_for(lambda: h.emulator.ephemerals(OWNER))  # the language is set once it is answered
    form_page = open_page(h)
    assert form_page["title"]["text"] == "设置" and "分析处理频道" in dumped(form_page)
    edit(h, "triage")
    assert "请选择一个频道" in h.driver.submit(OWNER, {"channel": "D0ZHAO"}).json["errors"]["channel"]
    h.driver.close(OWNER)
    add(h, "department", {"name_en": "Painting"})
    assert "已经有部门" in add(h, "department", {"name_en": "Painting"}).json["errors"]["name_en"]


def test_a_department_with_reports_cannot_be_removed_one_without_can(plant):
    h = plant
    open_page(h)
    add(h, "department", {"name_en": "Stamping", "channel": "C0STAMP"})
    redrawn(h, OWNER, "Stamping")
    add(h, "department", {"name_en": "Warehouse"})
    redrawn(h, OWNER, "Warehouse")
    with h.db.session() as s:
        stamping, warehouse = (s.scalar(select(Department.id).where(Department.name_en == n))
                               for n in ("Stamping", "Warehouse"))
    h.driver.slash(WORKER, "/report", "hazard guard missing")
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    h.driver.submit(WORKER, {"department": str(stamping)})

    h.driver.press(OWNER, "setup_item", view=page(h), block_id=f"department:{stamping}",
                   selected_option=SetupItem("department", stamping, remove=True).encode())
    top(h, OWNER, "setup_remove_submit")
    answer = h.driver.submit(OWNER, {})
    assert "1 report belongs to this department" in dumped(answer.json)
    h.driver.close(OWNER)
    h.driver.press(OWNER, "setup_item", view=page(h), block_id=f"department:{warehouse}",
                   selected_option=SetupItem("department", warehouse, remove=True).encode())
    top(h, OWNER, "setup_remove_submit")
    assert h.driver.submit(OWNER, {}).json is None
    h.emulator.wait_for(lambda: "Warehouse" not in dumped(h.emulator.open_modal(OWNER)))
    with h.db.session() as s:
        assert s.scalars(select(Department.name_en)).all() == ["Stamping"]
    assert ("setup.department.remove.saved", True) in audit(h)


# --- reports before there is a triage channel ---------------------------------------------------------------

def test_a_report_made_in_a_channel_before_set_up_is_posted_in_that_channel(plant):
    h = plant
    assert h.driver.slash(WORKER, "/report", "hazard guard missing on press 3", channel_id="C0STAMP").status == 200
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    assert h.driver.submit(WORKER, {}).json is None
    h.deliver()
    assert "guard missing" in dumped(h.emulator.messages("C0STAMP"))
    assert "已提交" in dms(h, WORKER)


def test_a_report_sent_by_dm_waits_while_the_admins_are_asked_and_is_posted_once_they_choose(plant):
    h = plant
    h.driver.dm(WORKER, "3号压机下面漏油，地面很滑")
    draft = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(WORKER) if "draft_file" in dumped(m)])[-1]
    h.driver.press_button(WORKER, draft, action_id="draft_file")
    receipt = h.emulator.wait_for(lambda: "管理员" in dms(h, WORKER, False) and dms(h, WORKER, False))
    assert "报告一发布就会在这里告诉您" in receipt
    with h.db.session() as s:
        assert s.scalar(select(Report.channel_id)) is None
    # Nobody who administers the workspace had used Triad: Slack was asked who does, and Zhao is asked.
    ask = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(OWNER) if "setup_open" in dumped(m)])[-1]
    assert "cannot be posted because Triad has no triage channel yet" in ask["text"]

    h.driver.press_button(OWNER, ask, action_id="setup_open")
    h.runtime.worker.stop()  # from here on, see what the save owes before anything is delivered
    edit(h, "triage")
    h.driver.submit(OWNER, {"channel": "C0TRIAGE"})
    redrawn(h, OWNER, "<#C0TRIAGE>")
    with h.db.session() as s:  # owed in the same transaction as the setting
        owed = s.scalars(select(OutboxMessage.channel).where(OutboxMessage.status == "pending")).all()
        assert "C0TRIAGE" in owed and WORKER in owed
        assert s.scalar(select(Report.channel_id)) == "C0TRIAGE"
    h.deliver()
    assert "3号压机下面漏油" in dumped(h.emulator.messages("C0TRIAGE"))
    assert "现已发布在 <#C0TRIAGE>" in dms(h, WORKER)


def test_an_admin_who_reads_chinese_is_asked_in_chinese(plant):
    h = plant
    h.driver.slash(OWNER, "/triad", "language zh")  # Zhao is known to Triad, and reads Chinese now
    h.emulator.wait_for(lambda: h.emulator.ephemerals(OWNER))
    h.driver.dm(SUPERVISOR, "oil leaking under press 3")
    draft = h.emulator.wait_for(
        lambda: [m for m in h.emulator.dm_messages(SUPERVISOR) if "draft_file" in dumped(m)])[-1]
    h.driver.press_button(SUPERVISOR, draft, action_id="draft_file")
    assert "as soon as it is posted" in h.emulator.wait_for(
        lambda: "posted" in dms(h, SUPERVISOR, False) and dms(h, SUPERVISOR, False))
    ask = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(OWNER) if "setup_open" in dumped(m)])[-1]
    assert "正在等待" in ask["text"] and "打开设置" in dumped(ask)


def test_administrators_are_reminded_each_day_a_report_waits(plant):
    from datetime import timedelta

    h = plant
    h.driver.dm(WORKER, "3号压机下面漏油")
    draft = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(WORKER) if "draft_file" in dumped(m)])[-1]
    h.driver.press_button(WORKER, draft, action_id="draft_file")
    h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(OWNER) if "setup_open" in dumped(m)])
    h.advance(timedelta(hours=12))
    assert "Still waiting" not in dms(h, OWNER)
    h.advance(timedelta(hours=13))
    assert "Still waiting after 1 day" in dms(h, OWNER)
    h.advance(timedelta(hours=1))
    h.deliver()
    assert len([m for m in h.emulator.dm_messages(OWNER) if "Still waiting" in m["text"]]) == 1  # once a day


def test_the_daily_reminder_comes_in_the_administrators_working_hours_once_a_working_day(plant):
    from datetime import timedelta

    h, pressed = plant, set()
    for words in ("3号压机下面漏油", "the floor by press 2 is wet"):  # Monday 09:00 in Shanghai
        h.driver.dm(WORKER, words)
        draft = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(WORKER)
                                             if "draft_file" in dumped(m) and m["ts"] not in pressed] or None)[-1]
        pressed.add(draft["ts"])
        h.driver.press_button(WORKER, draft, action_id="draft_file")
    h.emulator.wait_for(lambda: len([m for m in h.emulator.dm_messages(OWNER) if "setup_open" in dumped(m)]) == 2)

    def reminders() -> list[str]:
        h.deliver()
        return [m["text"] for m in h.emulator.dm_messages(OWNER) if "Still waiting" in m["text"]]

    h.advance(timedelta(days=4, hours=10))  # Friday 19:00: Zhao works office hours
    assert reminders() == []
    h.advance(timedelta(hours=13))  # Saturday morning
    assert reminders() == []
    h.advance(timedelta(days=2))  # Monday 08:00: one reminder for both reports
    [reminder] = reminders()
    assert "Still waiting after 6 days: 2 reports (the oldest *" in reminder
    h.advance(timedelta(hours=8))
    assert len(reminders()) == 1  # once a working day
    h.advance(timedelta(days=1))
    assert len(reminders()) == 2


def test_a_report_filed_at_the_weekend_asks_the_administrators_when_they_are_back(plant):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    h = plant
    h.advance(timedelta(days=5))  # Saturday 09:00 in Shanghai
    h.driver.dm(WORKER, "3号压机下面漏油")
    draft = h.emulator.wait_for(lambda: [m for m in h.emulator.dm_messages(WORKER) if "draft_file" in dumped(m)])[-1]
    h.driver.press_button(WORKER, draft, action_id="draft_file")
    h.emulator.wait_for(lambda: ":receipt" in dms(h, WORKER, False))  # the reporter hears at once
    with h.db.session() as s:
        ask = s.scalar(select(OutboxMessage).where(OutboxMessage.key.like("report:%:ask_admin:%")))
        assert ask.next_attempt_at.astimezone(ZoneInfo("Asia/Shanghai")) == datetime(
            2026, 12, 7, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "setup_open" not in dms(h, OWNER)


def test_help_tells_administrators_about_the_set_up_and_nobody_else(plant):
    h = plant
    h.driver.slash(OWNER, "/triad", "help")
    assert "/triad setup" in dumped(h.emulator.wait_for(lambda: h.emulator.ephemerals(OWNER)))
    h.driver.slash(WORKER, "/triad", "help")
    assert "/triad setup" not in dumped(h.emulator.wait_for(lambda: h.emulator.ephemerals(WORKER)))


def test_the_organisation_view_names_the_workspace_admins_while_none_are_named(plant):
    h = plant
    h.driver.slash(OWNER, "/triad", "org")
    view = h.emulator.wait_for(lambda: h.emulator.open_modal(OWNER))
    assert "Administrators: <@U0ZHAO>" in dumped(view)


# --- working hours -------------------------------------------------------------------------------------------

def test_an_administrator_sets_and_clears_working_hours_for_the_plant_a_department_and_people(plant):
    h = plant
    add_page = open_page(h)
    assert "Working hours" in dumped(add_page) and "(Triad's default)" in dumped(add_page)
    add(h, "department", {"name_en": "Stamping", "channel": "C0STAMP"})
    redrawn(h, OWNER, "Stamping")
    stamping = _id(h, Department)

    form = edit(h, "working_hours")
    assert [e["type"] for _, e in interactive_elements(form["blocks"])] == [
        "static_select", "multi_users_select", "plain_text_input"]
    assert "sun-thu 22:00-06:00" in dumped(form)  # the hint shows how shifts are written
    refused = h.driver.submit(OWNER, {"department": str(stamping), "hours": "weekdays 8-5"})
    assert "“weekdays 8-5” is not a shift" in refused.json["errors"]["hours"]
    both = h.driver.submit(OWNER, {"department": str(stamping), "people": [WORKER], "hours": "always"})
    assert "not both" in both.json["errors"]["people"]
    with h.db.session() as s:
        assert s.get(Department, stamping).working_hours is None  # nothing changed
    assert h.driver.submit(OWNER, {"department": str(stamping), "hours": "Mon-Fri 6:00-14:00; mon-fri 14:00-22:00"
                                   }).json is None
    redrawn(h, OWNER, "*Stamping*: `mon-fri 06:00-14:00, mon-fri 14:00-22:00`")

    edit(h, "working_hours")
    h.driver.submit(OWNER, {"people": [WORKER, SUPERVISOR], "hours": "sun-thu 22:00-06:00"})
    redrawn(h, OWNER, "<@U0ZHANG>: `sun-thu 22:00-06:00`")
    edit(h, "working_hours")
    h.driver.submit(OWNER, {"hours": "mon-sat 07:00-16:00"})  # neither chosen: the organisation's own
    redrawn(h, OWNER, "Organisation: `mon-sat 07:00-16:00`")
    reopened = edit(h, "working_hours")
    assert "mon-sat 07:00-16:00" in dumped(reopened)  # it starts from the plant's hours: saving as is keeps them
    h.driver.submit(OWNER, {"people": [SUPERVISOR], "hours": ""})  # empty: Li follows his department again
    shown = dumped(redrawn(h, OWNER, "<@U0ZHANG>: `sun-thu"))
    assert "<@U0LI>: `" not in shown
    with h.db.session() as s:
        from bot.org import people, working_hours
        li, zhang = people.find(s, SUPERVISOR), people.find(s, WORKER)
        assert li.working_hours is None and zhang.working_hours == "sun-thu 22:00-06:00"
        assert s.scalar(select(Organisation.working_hours)) == "mon-sat 07:00-16:00"
        li.department_id = stamping
        s.flush()
        assert working_hours.schedule_of(s, li).text() == "mon-fri 06:00-14:00, mon-fri 14:00-22:00"
    saves = [a for a, allowed in audit(h) if a == "setup.working_hours.saved"]
    assert len(saves) == 4 and ("setup.working_hours.open", True) in audit(h)


def test_only_an_administrator_may_open_or_save_working_hours_and_each_try_is_recorded(plant):
    h = plant
    the_page = open_page(h)
    form = edit(h, "working_hours")
    h.driver.slash(WORKER, "/report", "")  # Zhang has a modal of his own open, and forges presses from it
    h.emulator.wait_for(lambda: h.emulator.open_modal(WORKER))
    h.driver.press_button(WORKER, the_page, action_id="setup_edit", value=SetupPart("working_hours").encode())
    assert h.emulator.wait_for(lambda: "只有管理员" in dumped(h.emulator.open_modal(WORKER)))
    answer = h.driver.submit(WORKER, {"hours": "always"}, view=form)  # a forged submission of Zhao's form
    assert "只有管理员" in dumped(answer.json)
    with h.db.session() as s:
        assert s.scalar(select(Organisation.working_hours)) is None
    assert ("setup.working_hours.open", False) in audit(h) and ("setup.working_hours", False) in audit(h)


def test_working_hours_are_set_in_chinese_with_chinese_errors(plant):
    h = plant
    h.driver.slash(OWNER, "/triad", "language zh")
    h.emulator.wait_for(lambda: h.emulator.ephemerals(OWNER))
    assert "工作时间" in dumped(open_page(h))
    form = edit(h, "working_hours")
    assert form["title"]["text"] == "工作时间" and "夜班" in dumped(form)
    answer = h.driver.submit(OWNER, {"hours": "mon-fri 08:00-25:00"})
    assert answer.json["errors"]["hours"] == "“mon-fri 08:00-25:00”：25:00 不是有效的时刻（应为 00:00 至 24:00）。"
    h.driver.submit(OWNER, {"hours": "always"})
    redrawn(h, OWNER, "组织：`always`")
