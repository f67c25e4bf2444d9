"""Every foundation surface fits Block Kit's limits, in both languages, even with hostile names."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import blockkit
from bot.i18n import LANGUAGES
from bot.org import people
from bot.org.orgfile import apply, parse
from handlers.help import help_message
from handlers.home import home_view
from handlers.setup.overview import org_modal
from sandbox.demo import ORG_FILE
from storage.models import Person

HOSTILE = "<!channel> <http://evil.example|Payroll> & *bold*"


@pytest.fixture
def org(db):
    spec = parse(ORG_FILE.read_text(encoding="utf-8"))
    spec.name = HOSTILE
    spec.departments[0] = ("stamping", type(spec.departments[0][1])(HOSTILE, HOSTILE), "C0STAMP")
    with db.session() as s:
        apply(s, spec)
    return db


def actor(db, slack_id: str, lang: str) -> people.Actor:
    with db.session() as s:
        person = people.find(s, slack_id)
        person.language_override = lang
        return people.actor_of(person, people.organisation(s))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slack_id", ["U0ZHANG", "U0ZHAO"])
def test_help_and_home_fit(org, lang, slack_id):
    who = actor(org, slack_id, lang)
    blockkit.check(help_message(who), "message")
    blockkit.check(help_message(who, unknown_word=HOSTILE), "message")
    with org.session() as s:
        blockkit.check(home_view(s, who), "home")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_organisation_modal_fits_and_shows_names_literally(org, lang):
    with org.session() as s:
        view = org_modal(s, actor(org, "U0ZHAO", lang).reader)
    blockkit.check(view, "modal")
    dumped = json.dumps(view, ensure_ascii=False)
    assert "&lt;!channel&gt; &lt;http://evil.example|Payroll&gt; &amp;" in dumped
    assert "<!channel>" not in dumped


def test_a_large_organisation_is_split_over_sections(org):
    from storage.models import Department

    with org.session() as s:
        for n in range(120):
            s.add(Department(code=f"d{n}", name_en=f"Department number {n} " + "x" * 40, name_zh=f"部门 {n}"))
    with org.session() as s:
        blockkit.check(org_modal(s, actor(org, "U0ZHAO", "en").reader), "modal")


def test_person_names_are_plain_text_in_headers(org):
    with org.session() as s:
        s.query(Person).filter_by(slack_user_id="U0ZHAO").one().name_en = HOSTILE
    who = actor(org, "U0ZHAO", "en")
    with org.session() as s:
        header = home_view(s, who)["blocks"][0]
    assert header["text"] == {"type": "plain_text", "text": f"Hello {HOSTILE}", "emoji": True}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_set_up_page_and_its_forms_fit_and_show_names_literally(org, lang):
    from bot.org.settings import default_site
    from handlers.setup import views
    from storage.models import Department, Location

    with org.session() as s:
        site = default_site(s)
        for n in range(60):  # more than the page lists
            s.add(Department(code=f"d{n}", name_en=f"{HOSTILE} {n} " + "x" * 140, name_zh=f"部门 {n}" + "长" * 190,
                             channel_id="C0STAMP"))
            s.add(Location(site=site, code=f"l{n}", name_en=f"{HOSTILE} {n}", name_zh=f"地点 {n}"))
    reader = actor(org, "U0ZHAO", lang).reader
    with org.session() as s:
        page = views.page(s, reader)
        blockkit.check(page, "modal")
        department, location = s.scalar(select(Department.id)), s.scalar(select(Location.id))
        for form in (views.general_form(s, reader), views.triage_form(s, reader), views.standards_form(s, reader),
                     views.admins_form(s, reader), views.department_form(s, reader, department),
                     views.department_form(s, reader, None), views.location_form(s, reader, location),
                     views.location_form(s, reader, None), views.remove_form(s, reader, "department", department)):
            blockkit.check(form, "modal")
    dumped = json.dumps(page, ensure_ascii=False)
    assert "&lt;!channel&gt;" in dumped and "<!channel>" not in dumped
    more = ("{} more", "还有 {} 项")[lang == "zh"]  # told, not cut silently (the demo plant has 3 and 4 already)
    assert more.format(33) in dumped and more.format(34) in dumped
