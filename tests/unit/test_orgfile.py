"""The organisation file: checked line by line before anything is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.org.orgfile import OrgFileError, apply, parse
from sandbox.demo import ORG_FILE
from storage.models import Department, Person, Role, Site, Standard


def problems(text: str) -> list[str]:
    with pytest.raises(OrgFileError) as error:
        parse(text, "org.yml")
    return error.value.problems


def test_the_example_is_valid():
    spec = parse(ORG_FILE.read_text(encoding="utf-8"))
    assert [d[0] for d in spec.departments] == ["stamping", "painting", "warehouse"]
    assert spec.standard_channels[Standard.SAFETY] == "C0SAFETY"


def test_every_problem_is_reported_with_its_line():
    found = problems(
        "organisation:\n"
        "  name: Plant\n"
        "  timezone: Mars/Olympus\n"
        "departments:\n"
        "  - code: stamping\n"
        "    name: Stamping\n"
        "people:\n"
        "  - slack_id: zhang\n"
        "    name: Zhang\n"
        "    department: paint\n"
        "    roles: [{owner: finance}, chief]\n"
    )
    assert found == [
        "org.yml line 3: timezone: “Mars/Olympus” is not an IANA time zone (for example Asia/Shanghai, Europe/Berlin).",
        "org.yml line 8: slack_id: “zhang” is not a Slack user id (something like U0123ABCD).",
        "org.yml line 10: department: There is no department “paint” (there are: stamping).",
        "org.yml line 11: owner: “finance” is not a system: quality, environment or safety.",
        "org.yml line 11: a role is worker, manager, admin, {supervisor: <department>} "
        "or {owner: quality|environment|safety}",
    ]


def test_broken_yaml_names_its_line():
    assert problems("organisation:\n  name: [unclosed\n") [0].startswith("org.yml line 3: not valid YAML")


def test_a_file_without_its_organisation_says_so():
    assert problems("departments:\n  - {code: a, name: A}\n") == ["org.yml line 1: the file needs 'organisation'"]


def test_unknown_keys_and_duplicates_are_named():
    found = problems("organisation:\n  name: P\n  colour: red\n"
                     "departments:\n  - {code: a, name: A}\n  - {code: a, name: B}\n")
    assert "org.yml line 3: unknown key 'colour' in organisation" in found[0]
    assert found[1] == "org.yml line 6: department code: There is already a department “a”."


def test_the_file_and_the_set_up_in_slack_share_one_set_of_checks():
    """The same rule, the same words: in the file with its line, in Slack inline in the reader's language."""
    from bot.i18n import Reader
    from bot.org import rules

    found = problems("organisation:\n  name: P\n  timezone: Mars/Olympus\n")
    assert found == [f"org.yml line 3: timezone: {rules.timezone('Mars/Olympus').describe()}"]
    assert "不是 IANA 时区" in rules.timezone("Mars/Olympus").describe(Reader("zh"))


def test_locations_name_their_department():
    spec = parse("organisation: {name: P}\ndepartments: [{code: paint, name: Painting}]\n"
                 "sites: [{code: p1, name: P1, locations: [{code: booth, name: Booth, department: paint}]}]\n")
    assert spec.sites[0][2] == [("booth", spec.sites[0][2][0][1], "paint")]
    assert "There is no department “weld”" in problems(
        "organisation: {name: P}\n"
        "sites: [{code: p1, name: P1, locations: [{code: b, name: B, department: weld}]}]\n")[0]


def test_loading_twice_updates_in_place(db):
    spec = parse(ORG_FILE.read_text(encoding="utf-8"))
    with db.session() as s:
        apply(s, spec)
    spec.people[0].roles = [(Role.SUPERVISOR, "painting", None)]
    with db.session() as s:
        apply(s, spec)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Department)) == 3
        zhang = s.scalar(select(Person).where(Person.slack_user_id == "U0ZHANG"))
        assert [(r.role, r.department.code) for r in zhang.roles] == [(Role.SUPERVISOR, "painting")]


def test_codes_made_from_names_typed_in_slack_follow_the_files_rule():
    from bot.org import rules

    assert rules.code_for("Paint shop", []) == "paint-shop"
    assert rules.code_for("Paint shop", ["paint-shop"]) == "paint-shop-2"
    assert rules.code_for("冲压车间", ["department"], "department") == "department-2"
    assert all(rules.code(rules.code_for(n, [])) is None for n in ("Ölager Süd", "  x  ", "A" * 300))


def test_the_examples_paint_booth_is_paintings_and_the_dock_nobodys(db):
    from storage.models import Location

    spec = parse(ORG_FILE.read_text(encoding="utf-8"))
    with db.session() as s:
        apply(s, spec)
    with db.session() as s:
        booth = s.scalar(select(Location).where(Location.code == "paintbooth"))
        assert booth.department.code == "painting"
        assert s.scalar(select(Location).where(Location.code == "dock")).department is None


def test_a_person_works_at_a_known_site(db):
    spec = parse(ORG_FILE.read_text(encoding="utf-8"))
    assert {p.site for p in spec.people} == {"plant1"}
    with db.session() as s:
        apply(s, spec)
    with db.session() as s:
        zhang = s.scalar(select(Person).where(Person.slack_user_id == "U0ZHANG"))
        assert s.get(Site, zhang.site_id).code == "plant1"
    assert problems("organisation: {name: P}\nsites: [{code: p1, name: P1}]\n"
                    "people:\n  - slack_id: U0A\n    name: A\n    site: p2\n") == [
        "org.yml line 6: site: There is no site “p2” (there are: p1)."]
