"""The register kept as a file (``python -m bot procedures check|load|export``), so a plant can keep it in git.

The file gives, for each procedure code, the one version it is about: a draft to save, a version to put in force
(``published``: sent to its audience when loaded) or one to withdraw (``retired``); and, optionally, the reminder
schedule. It is checked with the rules /procedures uses in Slack (rules.py), every problem named with its line,
and a file with any problem changes nothing. Loading a file again changes only what it changed; ``export`` writes
the register in the same format. The format is documented in examples/procedures.yml.
"""
from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.evidence import log as evidence
from bot.filecheck import Checker, FileProblems, ValueChecker, compose
from bot.i18n import Reader
from bot.org import people
from bot.org.rules import STANDARD_NAMES, Invalid, Problem
from bot.org.rules import standard as standard_rule
from bot.procedures import distribution, links, rules, schedule, service
from bot.procedures.values import AUDIENCE_ROLES, Audience, ProcedureDraft, QuestionDraft
from storage.db import Database
from storage.models import ProcedureStatus, ProcedureVersion, Role, Standard

STATUSES = {"draft": ProcedureStatus.DRAFT, "published": ProcedureStatus.PUBLISHED,
            "retired": ProcedureStatus.RETIRED}
REQUIRED = {"code", "version", "status", "title", "summary", "owner", "standards", "audience", "effective"}
ENTRY_KEYS = REQUIRED | {"clauses", "document", "change_note", "major", "review_by", "renew_months",
                         "deadline_days", "check"}
QUESTION_KEYS = {"question", "choices", "answer", "explanation"}
SCHEDULE_DAYS_MAX = 90
STANDARD_WORDS = {s: name for name, s in STANDARD_NAMES.items() if not name.startswith("iso")}  # quality...
LINE_MAX = 10_000  # an exported text stays on its line: a change shows as one line in a diff

# Where each field of a draft is in an entry, as keys (and a question's position): a problem rules.py finds
# with a field is named with the line of that key (or of the nearest one above it, when the file left it out).
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "code": ("code",), "version": ("version",), "title_en": ("title", "en"), "title_zh": ("title", "zh"),
    "summary_en": ("summary", "en"), "summary_zh": ("summary", "zh"), "owner": ("owner",),
    "standards": ("standards",), "clauses": ("clauses",), "audience": ("audience",),
    "departments": ("audience", "departments"), "sites": ("audience", "sites"), "document_url": ("document",),
    "change_note_en": ("change_note", "en"), "change_note_zh": ("change_note", "zh"), "major": ("major",),
    "effective_on": ("effective",), "review_by": ("review_by",), "renew_months": ("renew_months",),
    "deadline_days": ("deadline_days",), "questions": ("check",)}
QUESTION_FIELD_KEYS = {"prompt_en": ("question", "en"), "prompt_zh": ("question", "zh"), "choices": ("choices",),
                       "answer": ("answer",), "explanation_en": ("explanation", "en"),
                       "explanation_zh": ("explanation", "zh")}
QUESTION_FIELD = re.compile(r"^q(\d+)_(\w+)$")


class RegisterFileError(FileProblems):
    """The register file's problems, each with its line."""


@dataclass(frozen=True)
class Entry:
    """One procedure of the file: the version it describes, and what the file wants of it."""

    draft: ProcedureDraft
    status: ProcedureStatus
    node: MappingNode  # its keys, to name a problem's line


@dataclass(frozen=True)
class RegisterSpec:
    source: str
    entries: tuple[Entry, ...]
    schedule: schedule.Schedule | None  # None: the file leaves the reminders as they are
    problems: tuple[str, ...]  # what the file itself gets wrong, before the register is asked


class Action(enum.Enum):
    SAVE = "save"  # a new draft, or a draft changed
    PUBLISH = "publish"  # saved when it is new or changed, then put in force and sent to its audience
    RETIRE = "retire"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Step:
    entry: Entry
    action: Action
    audience_size: int = 0  # for a publish: how many people it will ask

    @property
    def name(self) -> str:
        return f"{self.entry.draft.code} {self.entry.draft.version}"


@dataclass(frozen=True)
class Plan:
    """What loading the file would do to the register as it is, or why it cannot."""

    steps: tuple[Step, ...]
    schedule: schedule.Schedule | None  # to save: the file's, when it differs from the workspace's
    problems: tuple[str, ...]

    def named(self, action: Action) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps if step.action is action)

    def summary(self) -> LoadSummary:
        """What loading would do; a publish counts everyone in its audience."""
        return LoadSummary(drafts=self.named(Action.SAVE),
                           published=tuple((s.name, s.audience_size) for s in self.steps if s.action is Action.PUBLISH),
                           unchanged=self.named(Action.UNCHANGED), retired=self.named(Action.RETIRE),
                           reminders=self.schedule is not None)


@dataclass(frozen=True)
class LoadSummary:
    drafts: tuple[str, ...] = ()  # "CODE VERSION", saved as drafts
    published: tuple[tuple[str, int], ...] = ()  # put in force, and how many people were asked to read it
    unchanged: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    reminders: bool = False  # the reminder schedule was changed

    @property
    def changed(self) -> bool:
        return bool(self.drafts or self.published or self.retired or self.reminders)


# --- reading the file ----------------------------------------------------------------------------------------------

def read(path: Path, reader: Reader | None = None) -> RegisterSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegisterFileError([f"{path}: cannot be read ({exc.strerror})"]) from None
    return parse(text, str(path), reader)


def parse(text: str, source: str = "register file", reader: Reader | None = None) -> RegisterSpec:
    """Read the whole file; what it gets wrong on its own is in ``problems`` (raises only when it is not YAML)."""
    check = ValueChecker(source, reader)
    top = check.mapping(compose(text, source, RegisterFileError), "the file", {"reminders", "procedures"}) or {}
    found = _schedule(check, top["reminders"]) if "reminders" in top else None
    entries: list[Entry] = []
    codes: set[str] = set()
    for node in check.sequence(top.get("procedures"), "procedures"):
        entry = _entry(check, node)
        if entry is None:
            continue
        if entry.draft.code in codes:
            check.fail(_key(entry.node, ("code",)), f"{entry.draft.code} is in the file twice: the register file "
                                                    "gives one version of each code")
            continue
        codes.add(entry.draft.code)
        entries.append(entry)
    return RegisterSpec(source, tuple(entries), found, tuple(check.problems))


def _schedule(check: ValueChecker, node: Node) -> schedule.Schedule | None:
    items = check.mapping(node, "reminders", {f.name for f in fields(schedule.Schedule)})
    if items is None:
        return None
    before, values = len(check.problems), {}
    for name, value_node in items.items():
        least = 1 if name == "remind_every_days" else 0
        days = check.number(value_node, name)
        if days is not None and not least <= days <= SCHEDULE_DAYS_MAX:
            check.fail(value_node, f"{name} is a number of days from {least} to {SCHEDULE_DAYS_MAX}")
        elif days is not None:
            values[name] = days
    return schedule.Schedule(**values) if len(check.problems) == before else None  # left out: as by default


def _entry(check: ValueChecker, node: Node) -> Entry | None:
    """The entry as a draft, or None when the file gets it wrong (each problem reported)."""
    before = len(check.problems)
    e = check.mapping(node, "a procedure", ENTRY_KEYS, REQUIRED)
    if e is None or not isinstance(node, MappingNode):
        return None
    status_written = check.scalar(e.get("status"), "status")
    status = STATUSES.get(status_written)
    if "status" in e and status is None:
        check.fail(e["status"], f"status is draft, published or retired, not {status_written!r}")
    standards: list[Standard] = []
    for item, word in check.words(e.get("standards"), "standards"):
        if check.problem(item, "standards", standard_rule(word)) and STANDARD_NAMES[word] not in standards:
            standards.append(STANDARD_NAMES[word])
    change_note = check.bilingual(e.get("change_note"), "change_note") if "change_note" in e else None
    title, summary = check.bilingual(e.get("title"), "title"), check.bilingual(e.get("summary"), "summary")
    deadline_days = check.number(e.get("deadline_days"), "deadline_days")
    draft = ProcedureDraft(
        code=check.scalar(e.get("code"), "code"), version=check.scalar(e.get("version"), "version"),
        title_en=title[0], title_zh=title[1], summary_en=summary[0], summary_zh=summary[1],
        owner=check.scalar(e.get("owner"), "owner"), standards=tuple(standards),
        audience=audience_from(check, e.get("audience")), effective_on=check.day(e.get("effective"), "effective"),
        clauses=check.scalar(e.get("clauses"), "clauses") or None,
        document_url=check.scalar(e.get("document"), "document") or None,
        change_note_en=change_note[0] if change_note else None,
        change_note_zh=change_note[1] if change_note else None,
        major=check.flag(e.get("major"), "major", True), review_by=check.day(e.get("review_by"), "review_by"),
        renew_months=check.number(e.get("renew_months"), "renew_months"),
        deadline_days=ProcedureDraft.deadline_days if deadline_days is None else deadline_days,
        questions=tuple(_question(check, item, n) for n, item in enumerate(check.sequence(e.get("check"), "check"),
                                                                           start=1)))
    if len(check.problems) > before or status is None:
        return None
    return Entry(draft, status, node)


def audience_from(check: ValueChecker, node: Node | None) -> Audience:
    if isinstance(node, ScalarNode) and check.scalar(node, "audience") == "everyone":
        return Audience(everyone=True)
    if node is None or not isinstance(node, MappingNode):
        if node is not None:
            check.fail(node, "audience is everyone, or {departments: [...], roles: [...], sites: [...]}")
        return Audience()
    items = check.mapping(node, "audience", {"departments", "roles", "sites"}) or {}
    roles: list[Role] = []
    for item, word in check.words(items.get("roles"), "audience roles"):
        role = next((r for r in AUDIENCE_ROLES if r.value == word), None)
        if check.problem(item, "audience roles", None if role else rules.problem("roles_unknown", value=word)) \
                and role is not None:
            roles.append(role)
    return Audience(departments=tuple(w for _, w in check.words(items.get("departments"), "audience departments")),
                    roles=tuple(roles), sites=tuple(w for _, w in check.words(items.get("sites"), "audience sites")))


def _question(check: ValueChecker, node: Node, n: int) -> QuestionDraft:
    what = f"check {n}"
    q = check.mapping(node, what, QUESTION_KEYS, {"answer"}) or {}
    prompt_en, prompt_zh = check.bilingual(q.get("question"), f"{what} question")
    explanation_en, explanation_zh = check.bilingual(q.get("explanation"), f"{what} explanation")
    answer = check.number(q.get("answer"), f"{what} answer")
    return QuestionDraft(
        prompt_en, prompt_zh,
        choices=tuple(check.bilingual(c, f"{what} choice") for c in check.sequence(q.get("choices"),
                                                                                    f"{what} choices")),
        answer=-1 if answer is None else answer - 1,  # the file counts from 1, as a reader does
        explanation_en=explanation_en, explanation_zh=explanation_zh)


def _key(node: Node, path: tuple[str | int, ...]) -> Node:
    """The node of the deepest key along ``path`` the entry has: a problem with a key the file left out is named
    at the key above it."""
    found = node
    for step in path:
        if isinstance(step, int) and isinstance(node, SequenceNode) and step < len(node.value):
            found = node = node.value[step]
            continue
        pair = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == step),
                    None) if isinstance(node, MappingNode) else None
        if pair is None:
            break
        found, node = pair
    return found


def _field_path(field: str) -> tuple[str | int, ...]:
    question = QUESTION_FIELD.match(field)
    if question and question.group(2) in QUESTION_FIELD_KEYS:
        return ("check", int(question.group(1)) - 1, *QUESTION_FIELD_KEYS[question.group(2)])
    return FIELD_KEYS.get(field, ())


def _report(check: Checker, entry: Entry, problems: dict[str, Problem]) -> None:
    """rules.py's problems, each at the line of the key its field came from, named as the file names it."""
    for field, found in problems.items():
        path = _field_path(field)
        label = ".".join(str(step + 1) if isinstance(step, int) else step for step in path) or "the procedure"
        check.problem(_key(entry.node, path), label, found)


# --- against the register ------------------------------------------------------------------------------------------

def plan(session: Session, spec: RegisterSpec, reader: Reader | None = None) -> Plan:
    """What loading the file would do (nothing is written, no link is asked): every problem, or the steps."""
    check = Checker(spec.source, reader)
    steps = tuple(step for entry in spec.entries if (step := _step(session, check, entry)) is not None)
    changed = spec.schedule is not None and (
        people.settings_of(session).id is None or spec.schedule != schedule.of(session))
    return Plan(steps, spec.schedule if changed else None, spec.problems + tuple(check.problems))


def _step(session: Session, check: Checker, entry: Entry) -> Step | None:
    """What the entry asks of the register, or None when it cannot be done (each reason reported)."""
    draft, wants = entry.draft, entry.status
    procedure = service.find(session, draft.code)
    same = next((v for v in procedure.versions if v.version == draft.version), None) if procedure else None
    settled = same if same is not None and same.status in (ProcedureStatus.PUBLISHED, ProcedureStatus.RETIRED) \
        else None  # published once, so written once: what people acknowledged must stay what it says
    if settled is not None and wants != ProcedureStatus.DRAFT:
        differences = _differences(session, settled, draft)
        if differences:
            check.fail(_key(entry.node, ("version",)), f"version: {draft.code} {draft.version} is already "
                       f"{settled.status.value} and the file changes it ({', '.join(differences)}): give it a new "
                       "version and a change note")
            return None
        if wants == settled.status:
            return Step(entry, Action.UNCHANGED)
        if wants == ProcedureStatus.RETIRED:
            return Step(entry, Action.RETIRE)
        # published again once retired: rules.py says why not
    elif wants == ProcedureStatus.RETIRED:
        current = service.in_force(procedure) if procedure else None
        check.fail(_key(entry.node, ("status",)), f"status: {draft.code} {draft.version} is not in force, so it "
                   "cannot be retired" + (f" (version {current.version} is)" if current else ""))
        return None
    elif same is not None and same.status == wants == ProcedureStatus.DRAFT \
            and not _differences(session, same, draft):
        return Step(entry, Action.UNCHANGED)  # as saved: not checked again (a revision's may lack its note yet)
    problems = rules.check_draft(session, draft)
    _report(check, entry, problems)
    if problems:
        return None
    if entry.status == ProcedureStatus.DRAFT:
        return Step(entry, Action.SAVE)
    unsaved = ProcedureVersion(audience=draft.audience.stored(), document_url=draft.document_url)
    size = distribution.audience_size(session, unsaved)
    refused = rules.check_publish(session, unsaved, service.today(session), size)
    _report(check, entry, refused)
    return None if refused else Step(entry, Action.PUBLISH, size)


def _differences(session: Session, row: ProcedureVersion, draft: ProcedureDraft) -> list[str]:
    """The keys whose values the file gives otherwise than the saved version (none: it says the same)."""
    saved, said = _as_stored(service.draft_from(session, row)), _as_stored(draft)
    if row.status != ProcedureStatus.DRAFT and not any(
            v.status != ProcedureStatus.DRAFT and rules.version_key(v.version) < rules.version_key(row.version)
            for v in row.procedure.versions):
        said = replace(said, major=saved.major)  # a first version is published major, whatever was said
    return [".".join(FIELD_KEYS.get(f.name, (f.name,))) for f in fields(ProcedureDraft)
            if getattr(saved, f.name) != getattr(said, f.name)]


def _as_stored(draft: ProcedureDraft) -> ProcedureDraft:
    """The draft as service.py stores it (texts trimmed, an empty one none), its lists compared as sets."""
    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    audience = draft.audience if draft.audience.everyone else Audience(
        departments=tuple(sorted(set(draft.audience.departments))),
        roles=tuple(sorted(set(draft.audience.roles), key=lambda r: r.value)),
        sites=tuple(sorted(set(draft.audience.sites))))
    return replace(
        draft, code=draft.code.strip(), version=draft.version.strip(), title_en=draft.title_en.strip(),
        title_zh=draft.title_zh.strip(), summary_en=draft.summary_en.strip(), summary_zh=draft.summary_zh.strip(),
        owner=draft.owner.strip(), standards=tuple(sorted(set(draft.standards), key=lambda s: s.value)),
        audience=audience, clauses=text(draft.clauses), document_url=text(draft.document_url),
        change_note_en=text(draft.change_note_en), change_note_zh=text(draft.change_note_zh),
        questions=tuple(QuestionDraft(q.prompt_en.strip(), q.prompt_zh.strip(),
                                      tuple((en.strip(), zh.strip()) for en, zh in q.choices), q.answer,
                                      q.explanation_en.strip(), q.explanation_zh.strip())
                        for q in draft.questions or ()))


def link_problems(spec: RegisterSpec, planned: Plan, *, enabled: bool, reader: Reader | None = None) -> list[str]:
    """The document links of the versions to be published that do not answer: network calls, so asked outside any
    unit of work."""
    check = Checker(spec.source, reader)
    for step in planned.steps:
        if step.action is Action.PUBLISH:
            found = links.unreachable(step.entry.draft.document_url, enabled=enabled)
            if found is not None:
                _report(check, step.entry, {"document_url": found})
    return check.problems


# --- loading -------------------------------------------------------------------------------------------------------

def apply(session: Session, spec: RegisterSpec, reader: Reader | None = None) -> LoadSummary:
    """Carry out the file in the caller's unit of work. Raises RegisterFileError when anything stops it, even half
    way: the caller's unit of work is then rolled back, and nothing was changed. Links are checked before
    (``link_problems``)."""
    planned = plan(session, spec, reader)
    if planned.problems:
        raise RegisterFileError(list(planned.problems))
    check = Checker(spec.source, reader)
    published: list[tuple[str, int]] = []
    for step in planned.steps:
        draft = step.entry.draft
        try:
            if step.action is Action.RETIRE:
                service.retire(session, None, draft.code)
            elif step.action is Action.SAVE:
                service.save_draft(session, None, draft)
            elif step.action is Action.PUBLISH:
                procedure = service.find(session, draft.code)
                waiting = service.draft_of(procedure) if procedure else None
                if waiting is None or waiting.version != draft.version or _differences(session, waiting, draft):
                    waiting = service.save_draft(session, None, draft)
                published.append((step.name, service.publish(session, None, waiting.id).asked))
        except Invalid as exc:  # what the plan could not see, e.g. a change in Slack since
            _report(check, step.entry, exc.problems)
    if check.problems:
        raise RegisterFileError(check.problems)
    if planned.schedule is not None:
        schedule.save(session, planned.schedule)
    summary = replace(planned.summary(), published=tuple(published))
    if summary.changed:
        evidence.append(session, service.DOMAIN, "register_file_loaded", subject=Path(spec.source).name[-64:],
                        detail={**asdict(summary), "schedule": asdict(planned.schedule) if planned.schedule else None})
    return summary


def check_file(db: Database, path: Path, *, workspace: int | None = None, check_links: bool = True,
               reader: Reader | None = None) -> LoadSummary:
    """Everything loading would check, writing nothing: what loading would do (a publish counts everyone in its
    audience), or RegisterFileError naming every problem."""
    return _checked(db, read(path, reader), workspace, check_links, reader).summary()


def load_file(db: Database, path: Path, *, workspace: int | None = None, check_links: bool = True,
              reader: Reader | None = None) -> LoadSummary:
    """Check the file (its links outside any transaction), then load it in one unit of work: all or nothing."""
    spec = read(path, reader)
    _checked(db, spec, workspace, check_links, reader)
    with db.session(workspace) as session:
        return apply(session, spec, reader)


def _checked(db: Database, spec: RegisterSpec, workspace: int | None, check_links: bool,
             reader: Reader | None) -> Plan:
    with db.read(workspace) as session:
        planned = plan(session, spec, reader)
    found = [*planned.problems, *link_problems(spec, planned, enabled=check_links, reader=reader)]
    if found:
        raise RegisterFileError(found)
    return planned


# --- exporting -----------------------------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Written as a person would: lists indented under their key, short lists of words on one line, summaries one
    line under another (a YAML block) rather than one long quoted line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))
_Dumper.add_representer(list, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=all(isinstance(v, str) for v in value)))

EXPORT_HEADER = """\
# Triad procedure register, exported with `python -m bot procedures export`.
# Each code's version in force (else its draft, else its last version). Load it back with
# `python -m bot procedures load FILE`: examples/procedures.yml explains every key.
"""


def export(session: Session) -> str:
    """The register as a file: loading it back changes nothing."""
    saved = schedule.of(session) if people.settings_of(session).id is not None else schedule.Schedule()
    entries = []
    for procedure in service.register(session):
        row = service.in_force(procedure) or service.draft_of(procedure) or service.latest(procedure)
        entries.append(_entry_of(row.status, service.draft_from(session, row)))
    body = yaml.dump({"reminders": asdict(saved), "procedures": entries}, Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=LINE_MAX)
    return EXPORT_HEADER + body


def _entry_of(status: ProcedureStatus, draft: ProcedureDraft) -> dict[str, Any]:
    audience: str | dict[str, list[str]] = "everyone" if draft.audience.everyone else {
        key: values for key, values in (("departments", list(draft.audience.departments)),
                                        ("roles", [r.value for r in draft.audience.roles]),
                                        ("sites", list(draft.audience.sites))) if values}
    written: dict[str, Any] = {
        "code": draft.code, "version": draft.version, "status": status.value,
        "title": {"en": draft.title_en, "zh": draft.title_zh},
        "summary": {"en": draft.summary_en, "zh": draft.summary_zh}, "owner": draft.owner,
        "standards": [STANDARD_WORDS[s] for s in draft.standards], "clauses": draft.clauses, "audience": audience,
        "document": draft.document_url,
        "change_note": {k: v for k, v in (("en", draft.change_note_en), ("zh", draft.change_note_zh)) if v} or None,
        "major": draft.major, "effective": draft.effective_on, "review_by": draft.review_by,
        "renew_months": draft.renew_months, "deadline_days": draft.deadline_days,
        "check": [{"question": {"en": q.prompt_en, "zh": q.prompt_zh},
                   "choices": [{"en": en, "zh": zh} for en, zh in q.choices], "answer": q.answer + 1,
                   "explanation": {"en": q.explanation_en, "zh": q.explanation_zh}}
                  for q in draft.questions or ()] or None}
    return {key: value for key, value in written.items() if value is not None}
