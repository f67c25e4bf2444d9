"""What a procedure is made of as plain values (a form's or a file's), and what its buttons and forms carry."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.values import RowRef, Value
from storage.models import Role, Standard

AUDIENCE_ROLES = (Role.WORKER, Role.SUPERVISOR, Role.OWNER, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class QuestionDraft:
    prompt_en: str
    prompt_zh: str
    choices: tuple[tuple[str, str], ...]  # (English, Chinese), 2 to 4
    answer: int  # index of the right choice
    explanation_en: str
    explanation_zh: str


@dataclass(frozen=True)
class Audience:
    """Who must read a version: everyone, or anyone in one of these departments, roles or sites (codes)."""

    everyone: bool = False
    departments: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    sites: tuple[str, ...] = ()

    def stored(self) -> dict[str, object]:
        if self.everyone:
            return {"everyone": True}
        return {"departments": list(self.departments), "roles": [r.value for r in self.roles],
                "sites": list(self.sites)}

    @staticmethod
    def of(stored: dict[str, object] | None) -> Audience:
        stored = stored or {}
        if stored.get("everyone"):
            return Audience(everyone=True)

        def codes(name: str) -> tuple[str, ...]:
            found = stored.get(name)
            return tuple(str(c) for c in found) if isinstance(found, list) else ()
        return Audience(departments=codes("departments"), roles=tuple(Role(r) for r in codes("roles")),
                        sites=codes("sites"))

    @property
    def empty(self) -> bool:
        return not (self.everyone or self.departments or self.roles or self.sites)


@dataclass(frozen=True)
class ProcedureDraft:
    """A version as someone wrote it, checked by bot/procedures/rules.py whether it came from Slack or a file."""

    code: str
    version: str
    title_en: str
    title_zh: str
    summary_en: str
    summary_zh: str
    owner: str  # the owner's Slack user id
    standards: tuple[Standard, ...]
    audience: Audience
    effective_on: date | None
    clauses: str | None = None
    document_url: str | None = None
    change_note_en: str | None = None
    change_note_zh: str | None = None
    major: bool = True
    review_by: date | None = None
    renew_months: int | None = None
    deadline_days: int = 14
    questions: tuple[QuestionDraft, ...] | None = field(default=None)  # None: keep the draft's as they are


@dataclass(frozen=True)
class VersionRef(RowRef):
    """A procedure version: on its DM card's buttons, the check form and the register's buttons."""

    TAG = "pv"


@dataclass(frozen=True)
class CoverageRef(Value):
    """Who is missing of one procedure (and one department): the nudge and export buttons."""

    TAG = "pc"

    procedure: int | None = None
    department: int | None = None


@dataclass(frozen=True)
class DraftForm(Value):
    """The procedure form's private_metadata: the code whose draft it edits; None for a new procedure."""

    TAG = "pf"

    code: str | None = None
