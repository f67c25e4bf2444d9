"""The procedure register in Slack, through signed requests and the emulator: a system owner creates a procedure
in the form (problems inline), edits the draft, publishes it to exactly its audience, revises and retires it;
refusals (a worker, a second publish, an audience of nobody, a document link that does not open) change nothing
and are told privately. Document links are checked against a real HTTP server on loopback."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bot import audit, blockkit
from bot.config import Settings
from bot.org import people
from bot.procedures import acks, rules, service
from bot.procedures.values import Audience, ProcedureDraft, QuestionDraft, VersionRef
from handlers.procedures import register_forms
from storage.models import (
    Acknowledgment,
    Department,
    EvidenceEntry,
    Person,
    Procedure,
    ProcedureStatus,
    ProcedureVersion,
    Standard,
)

WORKER, SUPERVISOR, QUALITY, SAFETY, ADMIN = "U0ZHANG", "U0LI", "U0CHEN", "U0LIU", "U0ZHAO"
HOSTILE = "<!channel> <http://evil.example|Payroll> & *bold*"


def dumped(thing) -> str:
    return json.dumps(thing, ensure_ascii=False)


# --- a document server on loopback: /docs/... opens, anything else is 404 --------------------------------------------

class _Documents(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200 if self.path.startswith("/docs/") else 404)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.do_HEAD()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def documents() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(mode="sandbox", database_url=database_url, check_links=True)  # the sandbox's default is off


# --- driving the register -----------------------------------------------------------------------------------------

def open_register(h, user: str) -> dict:
    assert h.driver.slash(user, "/procedures", "register").status == 200
    return h.emulator.wait_for(lambda: h.emulator.open_modal(user), description=f"the register for {user}")


def press(h, user: str, action_id: str, code: str, register_view: dict | None = None, *, as_seen: bool = False):
    """Press a procedure's button in the register (the one open, or the copy given)."""
    view = register_view or h.emulator.modal_stack(user)[0]
    with h.db.read() as s:
        procedure_id = s.scalar(select(Procedure.id).where(Procedure.code == code))
    answer = h.driver.press(user, action_id, view=view, block_id=f"procedure:{procedure_id}", as_seen=as_seen)
    assert answer.status == 200
    h.deliver()
    return answer


def new_form(h, user: str = SAFETY) -> dict:
    view = open_register(h, user)
    assert h.driver.press(user, register_forms.NEW, view=view).status == 200
    return h.emulator.wait_for(lambda: h.emulator.open_modal(user) if len(h.emulator.modal_stack(user)) == 2
                               else None, description="the procedure form")


def lockout(documents: str, **changes) -> dict:
    values = {"code": "SOP-EHS-007", "title_en": "Lockout/tagout", "title_zh": "上锁挂牌",
              "summary_en": "Isolate, lock and tag every energy source before you reach into a machine.",
              "summary_zh": "在把手伸进机器之前，隔离、上锁并挂牌每一个能量源。",
              "departments": ["stamping"], "document_url": f"{documents}/docs/sop-ehs-007.pdf",
              "clauses": "ISO 45001 8.1.2"}
    return {**values, **changes}


def create(h, documents: str, user: str = SAFETY, **changes) -> ProcedureVersion:
    new_form(h, user)
    answer = h.driver.submit(user, lockout(documents, **changes))
    assert answer.json is None, answer.json
    h.deliver()
    return draft_of(h, changes.get("code", "SOP-EHS-007"))


def draft_of(h, code: str) -> ProcedureVersion:
    with h.db.read() as s:
        return s.scalar(select(ProcedureVersion).join(Procedure).where(
            Procedure.code == code, ProcedureVersion.status == ProcedureStatus.DRAFT))


def statuses(h, code: str) -> list[tuple[str, str]]:
    with h.db.read() as s:
        return [(v.version, v.status.value) for v in s.scalars(select(ProcedureVersion).join(Procedure).where(
            Procedure.code == code).order_by(ProcedureVersion.id))]


def owed(h, code: str) -> dict[str, tuple[str, bool, str]]:
    """Slack id -> (status, required, version) of each acknowledgment row of the procedure."""
    with h.db.read() as s:
        return {slack_id: (status.value, required, version) for slack_id, status, required, version in s.execute(
            select(Person.slack_user_id, Acknowledgment.status, Acknowledgment.required, ProcedureVersion.version)
            .join(Acknowledgment, Acknowledgment.person_id == Person.id)
            .join(ProcedureVersion, ProcedureVersion.id == Acknowledgment.version_id)
            .join(Procedure, Procedure.id == Acknowledgment.procedure_id).where(Procedure.code == code))}


def decisions(h, step: str) -> list[tuple[bool, str | None]]:
    with h.db.read(h.organisation("T0TRIAD")) as s:
        return [(d.allowed, d.subject) for d in audit.decisions(s) if d.step == step]


def told(h, user: str) -> str:
    """What the user was told privately (DMs), as one text."""
    h.deliver()
    return dumped([m.get("text") for m in h.emulator.dm_messages(user)])


def published(h, user: str = SAFETY, code: str = "SOP-EHS-007"):
    open_register(h, user)
    return press(h, user, register_forms.PUBLISH, code)


def actor(h, user: str) -> people.Actor:
    with h.db.read(h.organisation("T0TRIAD")) as s:
        return people.actor_of(people.find(s, user), people.organisation(s))


# --- the register and the form --------------------------------------------------------------------------------------

def test_an_owner_sees_the_register_with_new_procedure_and_a_worker_is_refused_and_recorded(harness):
    h = harness
    view = open_register(h, SAFETY)
    assert view["title"]["text"] == "Procedure register"
    assert register_forms.NEW in dumped(view)
    assert "The register is empty" in dumped(view)

    refusal = open_register(h, WORKER)  # Zhang reads Chinese
    assert "管理员、其所属管理体系的负责人，或该程序的负责人" in dumped(refusal)
    assert register_forms.NEW not in dumped(refusal)
    assert decisions(h, "procedure.register") == [(True, None), (False, None)]


def test_the_form_shows_problems_inline_and_saves_nothing_until_they_are_fixed(harness, documents):
    h = harness
    new_form(h)
    with h.db.read() as s:
        entries = len(s.scalars(select(EvidenceEntry)).all())
    bad = lockout(documents, code="sop ehs 7", title_zh="", departments=[{"value": "nowhere", "text": {
        "type": "plain_text", "text": "Nowhere"}}], q2_prompt_en="Before you reach in?", q2_choices_en="Lock it")
    answer = h.driver.submit(SAFETY, bad, enforce_required=False)
    assert answer.json["response_action"] == "errors"
    errors = answer.json["errors"]
    assert "is not a procedure code" in errors["code"]
    assert errors["title_zh"] == "This is needed."
    assert "There is no department nowhere" in errors["departments"]
    # the question written in the second place is the rules' first: its problems show where it was written
    assert "2 to 4 answers" in errors["q2_choices_en"]
    assert "This is needed." in errors["q2_prompt_zh"]
    assert not any(k.startswith("q1_") for k in errors)
    assert len(h.emulator.modal_stack(SAFETY)) == 2  # it stays open
    with h.db.read() as s:
        assert s.scalars(select(Procedure)).all() == []
        assert len(s.scalars(select(EvidenceEntry)).all()) == entries


def test_an_owner_creates_a_procedure_with_check_questions_and_the_register_shows_the_draft(harness, documents):
    h = harness
    new_form(h)
    answer = h.driver.submit(SAFETY, lockout(
        documents, q1_prompt_en="Who removes a lock?", q1_prompt_zh="谁可以取下锁？",
        q1_choices_en="Anyone\nThe person who put it on\nThe supervisor", q1_choices_zh="任何人\n上锁的人\n主管",
        q1_answer="2", q1_explanation_en="Only the person who put a lock on takes it off.",
        q1_explanation_zh="只有上锁的人才能取下自己的锁。"))
    assert answer.json is None
    assert h.driver.resend(answer).status == 200  # delivered twice: saved once
    h.deliver()
    row = draft_of(h, "SOP-EHS-007")
    with h.db.read() as s:
        assert len(s.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == "procedure_draft_saved")).all()) == 1
    assert (row.version, row.title_zh, row.audience) == ("1.0", "上锁挂牌", {
        "departments": ["stamping"], "roles": [], "sites": []})
    assert row.standards == ["iso45001"]
    with h.db.read() as s:
        (question,) = s.get(ProcedureVersion, row.id).questions
        assert question.answer == 1 and question.choices[1] == {"en": "The person who put it on", "zh": "上锁的人"}
        assert s.scalar(select(Person.slack_user_id).join(Procedure, Procedure.owner_id == Person.id)) == SAFETY
    register_view = h.emulator.modal_stack(SAFETY)[0]  # back on the register, redrawn
    assert len(h.emulator.modal_stack(SAFETY)) == 1
    assert "SOP-EHS-007" in dumped(register_view) and "Draft 1.0, not published yet" in dumped(register_view)
    assert register_forms.PUBLISH in dumped(register_view)

    new_form(h)  # the same code again is refused: it is in the register
    answer = h.driver.submit(SAFETY, lockout(documents))
    assert "already in the register" in answer.json["errors"]["code"]


def test_editing_a_draft_opens_it_filled_in_with_its_code_fixed(harness, documents):
    h = harness
    create(h, documents)
    view = open_register(h, SAFETY)
    press(h, SAFETY, register_forms.EDIT, "SOP-EHS-007", view)
    form = h.emulator.open_modal(SAFETY)
    assert form["title"]["text"] == "Edit draft"
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert "code" not in inputs and "SOP-EHS-007" in dumped(form["blocks"][0])
    assert inputs["title_en"]["initial_value"] == "Lockout/tagout"
    assert [o["value"] for o in inputs["departments"]["initial_options"]] == ["stamping"]
    assert "major" not in inputs  # a first version is read by everyone
    assert h.driver.submit(SAFETY, {"title_en": "Lockout / tagout", "version": "1.1"}).json is None
    h.deliver()
    assert statuses(h, "SOP-EHS-007") == [("1.1", "draft")]
    assert draft_of(h, "SOP-EHS-007").title_en == "Lockout / tagout"


def test_the_register_and_the_form_fit_block_kit_in_both_languages_with_names_shown_literally(harness, documents):
    h = harness
    create(h, documents, title_en=HOSTILE, title_zh=HOSTILE)
    for n in range(register_forms.SHOWN + 5):
        create(h, documents, code=f"SOP-Q-{n:03d}", q1_prompt_en="Q?", q1_prompt_zh="问？", q1_choices_en="a\nb",
               q1_choices_zh="甲\n乙", q1_answer="1", q1_explanation_en="x", q1_explanation_zh="解")
    create(h, documents, user=QUALITY, code="SOP-QA-001", departments=["painting"])
    with h.db.read(h.organisation("T0TRIAD")) as s:  # those Chen manages come first, however they sort
        first = register_forms.register_view(s, actor(h, QUALITY))["blocks"][1:3]
        assert "SOP-QA-001" in dumped(first) and register_forms.PUBLISH in dumped(first)
    with h.db.session(h.organisation("T0TRIAD")) as s:
        for n in range(120):  # a select shows 100
            s.add(Department(code=f"d{n:03d}", name_en=f"Department {n} " + "x" * 80, name_zh=f"部门 {n}"))
    for lang in ("en", "zh"):
        who = people.Actor(**{**actor(h, ADMIN).__dict__, "lang": lang})
        with h.db.read(h.organisation("T0TRIAD")) as s:
            view = register_forms.register_view(s, who)
            blockkit.check(view, "modal")
            assert "&lt;!channel&gt; &lt;http://evil.example|Payroll&gt; &amp;" in dumped(view)
            assert "<!channel>" not in dumped(view)
            assert "7" in dumped(view["blocks"][-1])  # the rest is counted, with where to find it
            assert "python -m bot procedures export" in dumped(view["blocks"][-1])
            row = s.scalar(select(ProcedureVersion).where(ProcedureVersion.title_en == HOSTILE))
            blockkit.check(register_forms.procedure_form(s, who, row), "modal")
            blockkit.check(register_forms.procedure_form(s, who, None), "modal")


def test_in_chinese_the_register_and_the_form_are_chinese(harness):
    h = harness
    assert h.driver.slash(ADMIN, "/triad", "language zh").status == 200
    view = open_register(h, ADMIN)
    assert view["title"]["text"] == "程序登记册"
    assert h.driver.press(ADMIN, register_forms.NEW, view=view).status == 200
    form = h.emulator.open_modal(ADMIN)
    assert form["title"]["text"] == "新建程序"
    labels = [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"]
    assert "标题（中文）" in labels and "完整文件链接" in labels
    assert h.driver.submit(ADMIN, {"code": "!"}, enforce_required=False).json["errors"]["title_en"] == "此项必填。"


# --- publishing ------------------------------------------------------------------------------------------------------

def test_publishing_asks_exactly_the_audience_and_a_second_publish_is_refused(harness, documents):
    h = harness
    create(h, documents)
    register_view = open_register(h, SAFETY)
    press(h, SAFETY, register_forms.PUBLISH, "SOP-EHS-007", register_view)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "published")]
    assert owed(h, "SOP-EHS-007") == {WORKER: ("pending", True, "1.0"), SUPERVISOR: ("pending", True, "1.0")}
    assert decisions(h, "procedure.publish") == [(True, "SOP-EHS-007 1.0")]
    assert "In force: 1.0" in dumped(h.emulator.open_modal(SAFETY))  # the register is redrawn
    assert "2 people were asked" in told(h, SAFETY)
    assert h.emulator.dm_messages(WORKER) and h.emulator.dm_messages(SUPERVISOR)  # their cards
    assert not any(h.emulator.dm_messages(user) for user in (QUALITY, ADMIN))

    press(h, SAFETY, register_forms.PUBLISH, "SOP-EHS-007", register_view, as_seen=True)  # its copy from before
    assert "is already published" in told(h, SAFETY)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "published")]
    assert len(owed(h, "SOP-EHS-007")) == 2


def test_a_double_click_on_publish_publishes_once(harness, documents):
    h = harness
    create(h, documents)
    view = open_register(h, SAFETY)
    with h.db.read() as s:
        block_id = f"procedure:{s.scalar(select(Procedure.id))}"
    answers: list[int] = []

    def click() -> None:
        answers.append(h.driver.press(SAFETY, register_forms.PUBLISH, view=view, block_id=block_id,
                                      as_seen=True).status)
    clicks = [threading.Thread(target=click) for _ in range(2)]  # both on their way at once
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert answers == [200, 200]
    h.deliver()
    assert statuses(h, "SOP-EHS-007") == [("1.0", "published")]
    assert len(owed(h, "SOP-EHS-007")) == 2
    messages = told(h, SAFETY)
    assert messages.count("2 people were asked") == 1 and "is already published" in messages


def test_a_worker_pressing_publish_or_sending_the_form_is_refused_recorded_and_nothing_changes(harness, documents):
    h = harness
    create(h, documents)
    owner_view = open_register(h, SAFETY)
    press(h, WORKER, register_forms.PUBLISH, "SOP-EHS-007", owner_view, as_seen=True)  # a forged press
    assert "管理员、其所属管理体系的负责人，或该程序的负责人" in told(h, WORKER)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "draft")]
    assert decisions(h, "procedure.publish") == [(False, "SOP-EHS-007 1.0")]

    new_form(h)  # and a forged submission of the owner's form
    form = h.emulator.open_modal(SAFETY)
    open_register(h, WORKER)
    answer = h.driver.submit(WORKER, lockout(documents, code="SOP-EHS-008"), view=form)
    assert answer.json["response_action"] == "update"
    assert "只有" in dumped(answer.json["view"])
    h.deliver()
    assert statuses(h, "SOP-EHS-008") == []
    assert decisions(h, "procedure.save_draft")[-1] == (False, "SOP-EHS-008")


def test_an_audience_of_nobody_is_refused_and_nothing_is_published(harness, documents):
    h = harness
    create(h, documents, departments=["warehouse"])  # nobody works there yet
    published(h)
    assert "Nobody is in its audience yet" in told(h, SAFETY)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "draft")]
    assert owed(h, "SOP-EHS-007") == {}


def test_a_document_link_that_does_not_open_is_refused_and_nothing_is_published(harness, documents):
    h = harness
    create(h, documents, document_url=f"{documents}/gone/sop-ehs-007.pdf")
    published(h)
    assert "HTTP 404" in told(h, SAFETY)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "draft")]
    assert owed(h, "SOP-EHS-007") == {}
    assert decisions(h, "procedure.publish") == []  # refused before the step: nothing was tried


# --- revising and retiring -------------------------------------------------------------------------------------------

def test_a_minor_revision_asks_nobody_who_acknowledged_and_a_major_one_asks_everyone(harness, documents):
    h = harness
    create(h, documents)
    published(h)
    first = statuses(h, "SOP-EHS-007")
    with h.db.session(h.organisation("T0TRIAD")) as s:
        version_id = s.scalar(select(ProcedureVersion.id).where(ProcedureVersion.status == ProcedureStatus.PUBLISHED))
        acks.acknowledge(s, actor(h, WORKER), version_id)
    assert first == [("1.0", "published")]

    view = open_register(h, SAFETY)
    press(h, SAFETY, register_forms.REVISE_MINOR, "SOP-EHS-007", view)
    form = h.emulator.open_modal(SAFETY)
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert inputs["version"]["initial_value"] == "1.1"
    assert inputs["major"]["initial_option"]["value"] == "minor"
    answer = h.driver.submit(SAFETY, {}, enforce_required=False)  # the change note is needed for a revision
    assert answer.json["errors"]["change_note_en"].startswith("Say what changed")
    assert h.driver.submit(SAFETY, {"change_note_en": "Typo fixed.", "change_note_zh": "更正错字。"}).json is None
    h.deliver()
    press(h, SAFETY, register_forms.PUBLISH, "SOP-EHS-007")
    assert statuses(h, "SOP-EHS-007") == [("1.0", "superseded"), ("1.1", "published")]
    assert owed(h, "SOP-EHS-007") == {WORKER: ("acknowledged", True, "1.0"), SUPERVISOR: ("pending", True, "1.1")}
    assert "1 person who had not acknowledged yet" in told(h, SAFETY)

    press(h, SAFETY, register_forms.REVISE_MAJOR, "SOP-EHS-007")
    assert h.driver.submit(SAFETY, {"change_note_en": "New step 4.", "change_note_zh": "新增第 4 步。"}).json is None
    h.deliver()
    press(h, SAFETY, register_forms.PUBLISH, "SOP-EHS-007")
    assert statuses(h, "SOP-EHS-007")[-1] == ("2.0", "published")
    assert owed(h, "SOP-EHS-007") == {WORKER: ("pending", True, "2.0"), SUPERVISOR: ("pending", True, "2.0")}


def test_retiring_withdraws_the_version_in_force_and_nobody_is_asked_any_more(harness, documents):
    h = harness
    create(h, documents)
    published(h)
    press(h, SAFETY, register_forms.RETIRE, "SOP-EHS-007")
    assert statuses(h, "SOP-EHS-007") == [("1.0", "retired")]
    assert {required for _, required, _ in owed(h, "SOP-EHS-007").values()} == {False}
    view = h.emulator.open_modal(SAFETY)
    assert "Retired: 1.0" in dumped(view) and register_forms.RETIRE not in dumped(view)
    assert decisions(h, "procedure.retire") == [(True, "SOP-EHS-007")]


def test_a_forged_button_value_does_nothing(harness, documents):
    h = harness
    create(h, documents)
    view = open_register(h, SAFETY)
    with h.db.read() as s:
        procedure_id = s.scalar(select(Procedure.id))
    for value in ("pv1:{\"id\":0}", "nonsense", VersionRef(999_999).encode()):
        assert h.driver.press(SAFETY, register_forms.PUBLISH, value, view=view,
                              block_id=f"procedure:{procedure_id}").status == 200
    assert statuses(h, "SOP-EHS-007") == [("1.0", "draft")]
    assert "no longer exists" in told(h, SAFETY)


def test_an_overdue_review_is_flagged_in_the_register(harness, documents):
    h = harness
    create(h, documents, review_by="2026-12-31")
    published(h)
    assert "review by Dec 31, 2026" in dumped(h.emulator.open_modal(SAFETY))
    h.clock.advance(timedelta(days=40))
    assert "review overdue since Dec 31, 2026" in dumped(open_register(h, SAFETY))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_form_and_the_register_fit_at_the_longest_the_rules_allow(harness, lang):
    h = harness
    question = QuestionDraft("q" * rules.QUESTION_MAX, "问" * rules.QUESTION_MAX,
                             tuple((f"{c}" * rules.CHOICE_MAX, "选" * rules.CHOICE_MAX) for c in "abcd"), 3,
                             "e" * rules.EXPLANATION_MAX, "释" * rules.EXPLANATION_MAX)
    longest = ProcedureDraft(
        code="SOP-" + "X" * (rules.CODE_MAX - 4), version="100.100", title_en="T" * rules.TITLE_MAX,
        title_zh="标" * rules.TITLE_MAX, summary_en="s" * rules.SUMMARY_MAX, summary_zh="摘" * rules.SUMMARY_MAX,
        owner=SAFETY, standards=tuple(Standard), audience=Audience(departments=("stamping", "painting")),
        effective_on=date(2026, 11, 30), clauses="c" * rules.CLAUSES_MAX,
        document_url="https://docs.example.com/" + "d" * (rules.URL_MAX - 25), change_note_en="n" * rules.NOTE_MAX,
        change_note_zh="改" * rules.NOTE_MAX, review_by=date(2027, 11, 30), renew_months=rules.RENEW_MAX,
        deadline_days=rules.DEADLINE_MAX, questions=(question,) * rules.QUESTIONS_MAX)
    who = people.Actor(**{**actor(h, ADMIN).__dict__, "lang": lang})
    with h.db.session(h.organisation("T0TRIAD")) as s:
        row = service.save_draft(s, who, longest)
        form = register_forms.procedure_form(s, who, row)
        assert blockkit.problems(form, "modal") == []
        assert blockkit.view_size(form) < blockkit.VIEW_BYTES_MAX
        assert blockkit.problems(register_forms.register_view(s, who), "modal") == []


def test_retire_pressed_on_a_register_drawn_before_a_newer_version_retires_nothing(harness, documents):
    h = harness
    create(h, documents)
    published(h)
    before = h.emulator.open_modal(SAFETY)
    press(h, SAFETY, register_forms.REVISE_MINOR, "SOP-EHS-007")
    assert h.driver.submit(SAFETY, {"change_note_en": "Typo fixed.", "change_note_zh": "更正错字。"}).json is None
    press(h, SAFETY, register_forms.PUBLISH, "SOP-EHS-007")
    press(h, SAFETY, register_forms.RETIRE, "SOP-EHS-007", before, as_seen=True)  # it names 1.0
    assert "is no longer in force (superseded), so nothing was retired" in told(h, SAFETY)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "superseded"), ("1.1", "published")]


def test_a_procedures_own_owner_manages_it_but_creates_none(harness, documents):
    h = harness
    create(h, documents, user=ADMIN, owner=SUPERVISOR, standards=["iso9001"])
    create(h, documents, user=ADMIN, code="SOP-QA-002", standards=["iso9001"])
    view = open_register(h, SUPERVISOR)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    with h.db.read() as s:
        ids = {code: id_ for code, id_ in s.execute(select(Procedure.code, Procedure.id))}
    assert register_forms.NEW not in dumped(view)
    assert register_forms.PUBLISH in dumped(blocks[f"procedure:{ids['SOP-EHS-007']}"])
    assert f"procedure:{ids['SOP-QA-002']}" not in blocks  # Zhao's: listed, without buttons
    assert "SOP-QA-002" in dumped(view)
    press(h, SUPERVISOR, register_forms.PUBLISH, "SOP-EHS-007", view)
    assert statuses(h, "SOP-EHS-007") == [("1.0", "published")]
