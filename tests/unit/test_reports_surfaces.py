"""Every surface of the closed loop fits Block Kit's limits in both languages and shows user text literally."""
from __future__ import annotations

import json
from typing import Any

import pytest

from bot import blockkit
from bot.i18n import LANGUAGES, Reader
from bot.reports import kinds, service
from bot.reports.values import ReportRef
from handlers.reports import cards, forms, nudges
from handlers.reports.common import notice_view
from storage.models import Report, ReportKind, Standard
from tests.unit.reports_world import (
    ENVIRONMENT,
    SAFETY,
    SUPERVISOR,
    actor,
    assign,
    complete_and_verify,
    file,
    load_plant,
)

HOSTILE = "<!channel> <http://evil.example|click> & *x*"
ESCAPED = "&lt;!channel&gt; &lt;http://evil.example|click&gt; &amp; *x*"
FILES = [{"id": "F1", "name": HOSTILE, "permalink": "https://files.example/F1/photo.jpg"}]


def mrkdwn_texts(node: Any) -> list[str]:
    """Every text Slack would read as mrkdwn: mrkdwn objects and a message's top-level text."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


def assert_literal(payload: dict, surface: str, *, shows_user_text: bool = True) -> None:
    blockkit.check(payload, surface)
    texts = mrkdwn_texts(payload) + ([payload["text"]] if surface == "message" and "text" in payload else [])
    for text in texts:
        assert "<!channel>" not in text and "<http://evil" not in text, text
    if shows_user_text and surface != "modal":  # forms show user text in plain_text inputs, literally anyway
        assert ESCAPED in json.dumps(payload, ensure_ascii=False)


@pytest.fixture
def world(db):
    load_plant(db)
    return db


def hostile_report(db, **extra) -> int:
    return file(db, kind=ReportKind.ENVIRONMENTAL, description=HOSTILE, place=HOSTILE, immediate_action=HOSTILE,
                standards=[Standard.ENVIRONMENT, Standard.SAFETY], photos=FILES,
                source_link="https://x.slack.com/archives/C1/p1", **extra).report.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_card_in_every_state(world, lang):
    reader = Reader(lang=lang, tz="Asia/Shanghai")
    rid = hostile_report(world)
    states = []

    def snapshot():
        with world.session() as s:
            report = s.get(Report, rid)
            states.append(report.status)
            assert_literal(cards.report_card(s, report, reader), "message")
            assert_literal(cards.timeline_surface(s, report, reader, modal=False), "message")
            assert_literal(cards.timeline_surface(s, report, reader, modal=True, follow=True), "modal")

    snapshot()
    lead = actor(world, SUPERVISOR)
    with world.session() as s:
        service.assess_risk(s, lead, rid, 4, 5)
        service.escalate(s, lead, rid)
        service.ask_reporter(s, lead, rid, HOSTILE)
    snapshot()
    aid = assign(world, rid, owner=ENVIRONMENT)
    snapshot()
    complete_and_verify(world, aid, owner=ENVIRONMENT)
    with world.session() as s:
        service.record_root_cause(s, lead, rid, [HOSTILE] * 5, HOSTILE)
        service.sign_off(s, actor(world, ENVIRONMENT), rid)
    snapshot()
    with world.session() as s:
        service.sign_off(s, actor(world, SAFETY), rid)
    snapshot()
    assert len(set(states)) == 5


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_action_messages_and_list(world, lang):
    reader = Reader(lang=lang, tz="Asia/Shanghai")
    rid = hostile_report(world)
    aid = assign(world, rid, owner=ENVIRONMENT)
    with world.session() as s:
        action = service.get_action(s, aid)
        action.description = HOSTILE
        assert_literal(cards.action_card(s, action, reader), "message")
        action.evidence_note, action.evidence_files = HOSTILE, FILES
        assert_literal(cards.verify_card(s, action, reader), "message")
        assert_literal(cards.action_list(s, reader, [action] * 20, [action] * 20, service.today(s)), "message")
        assert_literal(cards.action_list(s, reader, [], [], service.today(s)) | {"text": ESCAPED}, "message")
        assert_literal(forms.done_form(reader, action), "modal")
        assert_literal(forms.more_time_form(reader, action), "modal")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_forms(world, lang):
    reader = Reader(lang=lang)
    rid = hostile_report(world)
    with world.session() as s:
        report = s.get(Report, rid)
        report.root_cause_whys, report.root_cause = [HOSTILE], HOSTILE
        draft = service.ReportDraft(kind=ReportKind.HAZARD, description=HOSTILE * 60, location_id=1, department_id=1)
        views = [
            forms.report_form(s, reader, draft, source_link="https://x.slack.com/archives/C1/p1"),
            forms.report_form(s, reader, service.ReportDraft()),
            forms.risk_form(reader, report, residual=True),
            forms.action_form(reader, report, service.today(s), "U0LI"),
            forms.reject_form(reader, report),
            forms.root_cause_form(reader, report),
            forms.receipt_view(reader, report.reference, "ABCD-EFGH", already=False),
            forms.receipt_view(reader, report.reference, None, already=True),
            notice_view(reader, ESCAPED),
            *[forms.text_form(reader, callback_id, HOSTILE, ReportRef(rid)) for callback_id in forms.TEXT_FORMS],
        ]
    for view in views:
        assert_literal(view, "modal")
    assert all(len(v["title"]["text"]) <= 24 for v in views)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_card_answering_a_direct_message(world, lang):
    reader = Reader(lang=lang)
    long_words = (HOSTILE + ' "quoted" ') * 200
    with world.session() as s:
        for words in (HOSTILE + " oil leak", long_words + " leak"):
            guess = kinds.guess(words, [])
            card = cards.draft_card(s, reader, words, guess, "D1:1.2")
            assert_literal(card, "message", shows_user_text=False)
            # the words are shown as plain text (Slack never reads them as mrkdwn) and read back whole
            assert cards.draft_text(card) == words.strip()[:3000]
            assert all(len(e["value"]) <= 2000 for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
        asked = cards.draft_card(s, reader, HOSTILE, kinds.guess("hello", []), "D1:1.3")
        assert_literal(asked, "message", shows_user_text=False) and cards.draft_text(asked) == HOSTILE


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_question_to_a_named_reporter(world, lang):
    from bot.i18n import render, text

    reader = Reader(lang=lang)
    message = render("report_question", reader, report_id=1, value=ReportRef(1).encode(),
                     text=text(reader, "reports.dm.update", reference="HZ-2026-0001", entry=HOSTILE))
    assert_literal(message, "message")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_app_home_shows_what_waits_for_each_person(world, lang):
    from handlers.home import home_view

    rid = hostile_report(world)
    hostile_report(world)
    aid = assign(world, rid, owner=ENVIRONMENT, verifier=SAFETY)
    with world.session() as s:
        service.get_action(s, aid).description = HOSTILE
    for who in (ENVIRONMENT, SAFETY, SUPERVISOR, "U0ZHAO", "U0ZHANG"):
        person = actor(world, who)
        person = type(person)(**{**person.__dict__, "lang": lang})
        with world.session() as s:
            view = home_view(s, person)
        assert_literal(view, "home", shows_user_text=who != "U0ZHANG")
        assert any(e.get("action_id") == "home_report" for b in view["blocks"] for e in b.get("elements", []))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_reminders_requests_and_the_effectiveness_form(world, lang, clock):
    """Every DM the loop sends when something waits (reminder, escalation, sign-off ask, Can't do, more time,
    effectiveness due) and the effectiveness form fit Block Kit and show user text literally."""
    from datetime import timedelta

    from sqlalchemy import select

    from bot.reports import corrective, effectiveness, followup
    from storage.models import ActionType, OutboxMessage, Person, RiskLevel

    with world.session() as s:
        for person in s.scalars(select(Person)):
            person.language_override = lang  # every reader in the language under test
    for who in (SUPERVISOR, ENVIRONMENT, "U0ZHANG"):
        actor(world, who)
    rid = hostile_report(world)
    with world.session() as s:
        service.assess_risk(s, actor(world, SUPERVISOR), rid, 5, 4)  # critical: the urgent alert too
    aid = assign(world, rid, owner=ENVIRONMENT, type=ActionType.CORRECTIVE)
    with world.session() as s:
        due = service.get_action(s, aid).due_on
        corrective.extend_action(s, actor(world, ENVIRONMENT), aid, due + timedelta(days=5), HOSTILE)
    second = assign(world, rid, owner="U0ZHANG")
    with world.session() as s:
        corrective.decline_action(s, actor(world, "U0ZHANG"), second, HOSTILE)
    complete_and_verify(world, aid, owner=ENVIRONMENT)
    with world.session() as s:
        service.record_root_cause(s, actor(world, SUPERVISOR), rid, [HOSTILE], HOSTILE)
        s.get(Report, rid).severity_estimate = RiskLevel.HIGH
    clock.advance(timedelta(days=3))
    with world.session() as s:
        followup.sweep(s)
    seen: set[str] = set()
    with world.session() as s:
        for message in s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("report:%:nudge:%")
                                                             | OutboxMessage.key.like("%:urgent:%")
                                                             | OutboxMessage.key.like("%:declined:%")
                                                             | OutboxMessage.key.like("action:%:more_time:%"))):
            assert_literal(message.payload, "message")
            seen.add(message.key.split(":")[2])
        assert seen >= {"nudge", "urgent", "declined", "more_time"}, seen
        report = s.get(Report, rid)
        report.status = report.status.CLOSED
        view = forms.check_form(Reader(lang=lang), *effectiveness.proposal(s, actor(world, SUPERVISOR), rid))
        assert_literal(view, "modal", shows_user_text=False)
        assert len(view["title"]["text"]) <= 24
        nudge = nudges.nudge_message(Reader(lang=lang), ReportRef(rid), ESCAPED, nudges.CHECK_BUTTONS)
        assert_literal(nudge, "message")
