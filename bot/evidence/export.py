"""Exports for auditors: reports, actions with their verification, timelines and the whole evidence log, as CSV or
XLSX, each row with the clause it serves and its chain hash, streamed from the database in constant memory.

Every row carries the seq and hashes of its seal exactly as ``bot.evidence.verify`` walks them, so an export can be
checked against the chain; the evidence sheet (in CSV, to the microsecond) has every field a seal covers, so each
content hash can be recomputed from the file alone (``storage.chain.content``). Back-dated entries, the back-dating
bursts flagged in the log and the chain breaks found are marked in a ``flags`` column, highlighted in XLSX, and
listed with the entries they cover on the ``flags`` sheet.

Rows are read in batches (``yield_per``) in one read-only unit of work and written as they come; people, departments
and locations are resolved once into small dicts. An XLSX workbook is assembled from XlsxWriter's temporary files
after the read has ended.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import IO, Any, BinaryIO, Protocol
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from bot import clock
from bot.evidence import clauses
from bot.i18n import Reader, catalog, listed, plain, zone
from bot.reports import timeline
from storage.db import Database
from storage.models import (
    CorrectiveAction,
    Department,
    EvidenceEntry,
    EvidenceSeal,
    Location,
    Organisation,
    Person,
    Report,
    ReportKind,
    ReportStandard,
    Standard,
)

Query = Select[*tuple[Any, ...]]  # a select of any columns

SHEETS = ("reports", "actions", "timeline", "evidence", "flags")  # what can be exported, in the workbook's order
FORMATS = ("csv", "xlsx")
BATCH = 2000  # rows fetched at a time
XLSX_ROWS = 1_048_576  # a worksheet's rows, its heading included: a longer sheet goes on in another
XLSX_CELL = 32_767  # characters in a cell
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv",
               "zip": "application/zip"}
BURST, BREAK = "backdating_burst", "break_found"  # what the log's own checks write (domain "evidence")


@dataclass(frozen=True)
class ExportRequest:
    sheets: tuple[str, ...] = SHEETS  # CSV with several sheets: a .zip of one CSV each
    since: date | None = None  # inclusive, in the workspace's time zone
    until: date | None = None  # inclusive
    standard: Standard | None = None
    department_id: int | None = None
    format: str = "xlsx"
    language: str = "en"  # of headings and values shown as words
    timezone: str | None = None  # of the dates shown beside each UTC time, and of the period; None: the workspace's
    # How someone was hurt, for those who may know it (managers, the safety owner; the server's operator): else
    # withheld, in the reports sheet and in the entries' details (whose hash then cannot be recomputed).
    injuries: bool = True


@dataclass(frozen=True)
class ExportSummary:
    rows: dict[str, int]  # per sheet
    filename: str
    media_type: str


class ExportError(ValueError):
    """A request that cannot be exported (an unknown sheet or format, a period that ends before it starts)."""


def write(db: Database, workspace: int, request: ExportRequest, out: BinaryIO) -> ExportSummary:
    """Write the export to ``out``, streaming rows from one read-only unit of work (no write lock; while rows are
    written, no transaction but that read's own; an XLSX workbook is assembled after it has ended).
    Raises ExportError for a request that cannot be exported."""
    _check(request)
    sheets = [s for s in SHEETS if s in request.sheets]
    extension = "xlsx" if request.format == "xlsx" else "csv" if len(sheets) == 1 else "zip"
    sink: Sink = _Xlsx(out) if extension == "xlsx" else _CsvZip(out) if extension == "zip" else _Csv(out)
    rows: dict[str, int] = {}
    try:
        with db.read(workspace) as session:
            context = _Context.load(session, workspace, request)
            for sheet in sheets:
                columns = COLUMNS[sheet]
                sink.begin(sheet, plain(context.reader, f"export.sheet.{sheet}"),
                           [plain(context.reader, f"export.column.{c.key}", zone=context.zone_name) for c in columns],
                           columns)
                count = 0
                for values, flagged in ROWS[sheet](session, context):
                    sink.row(values, flagged)
                    count += 1
                sink.end()
                rows[sheet] = count
            today = clock.now().astimezone(context.zone).date()
    finally:
        sink.close()  # the workbook is assembled here, after the read
    return ExportSummary(rows, f"triad-export-{today.isoformat()}.{extension}", MEDIA_TYPES[extension])


def _check(request: ExportRequest) -> None:
    unknown = [s for s in request.sheets if s not in SHEETS]
    if unknown or not request.sheets:
        raise ExportError(f"no sheet {', '.join(unknown) or '(none chosen)'}: choose from {', '.join(SHEETS)}")
    if request.format not in FORMATS:
        raise ExportError(f"no format {request.format}: choose from {', '.join(FORMATS)}")
    if request.since and request.until and request.until < request.since:
        raise ExportError(f"the period ends ({request.until}) before it starts ({request.since})")
    if request.timezone is not None and zone(request.timezone).key != request.timezone:
        raise ExportError(f"no time zone {request.timezone}")


# -- columns ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str  # export.column.<key>
    width: int = 14  # characters, in XLSX


def _columns(*spec: str | tuple[str, int]) -> tuple[Column, ...]:
    return tuple(Column(s) if isinstance(s, str) else Column(*s) for s in spec)


HASH, TEXT, LONG, WHEN = 66, 24, 60, 20
COLUMNS: dict[str, tuple[Column, ...]] = {
    "reports": _columns(
        "reference", ("kind", TEXT), ("status", 18), ("standards", 30), ("description", LONG), ("location", TEXT),
        ("place", TEXT), ("department", 18), ("occurred", WHEN), ("filed", WHEN), ("injury", TEXT), ("risk", 12),
        "likelihood", "severity", ("residual_risk", 12), "residual_likelihood", "residual_severity", ("whys", LONG),
        ("root_cause", LONG), ("rejection", 18), ("closed", WHEN), ("reporter", 18), ("clauses", 40), "filed_seq",
        ("filed_hash", HASH), "latest_seq", ("latest_hash", HASH)),
    "actions": _columns(
        "report", ("number", 8), ("type", 18), ("control", 18), ("description", LONG), ("owner", 18),
        ("verifier", 18), ("due", 12), ("status", 18), ("done", WHEN), ("verified_by", 18), ("verified", WHEN),
        ("clauses", 40), "action_seq", ("action_hash", HASH)),
    "timeline": _columns(
        ("seq", 10), ("entry", 10), "report", ("action", 8), ("written_utc", WHEN), ("written_local", WHEN),
        ("stated", WHEN), ("backdated", 8), ("who", 18), ("sentence", 80), ("kind", 18), ("clauses", 40),
        ("flags", 30), ("content_hash", HASH), ("prev_hash", HASH), ("hash", HASH)),
    "evidence": _columns(
        ("seq", 10), ("entry", 10), ("written_utc", WHEN), ("written_local", WHEN), ("stated_utc", WHEN),
        ("backdated", 8), ("actor", 8), ("who", 18), ("domain", 10), ("kind", 18), ("subject", 16),
        ("report_db_id", 8), ("action_db_id", 8), ("corrects", 8), ("detail", LONG), ("clauses", 40), ("flags", 30),
        ("content_hash", HASH), ("prev_hash", HASH), ("hash", HASH)),
    "flags": _columns(
        ("flag_seq", 10), ("flag_entry", 10), ("flag", 30), ("flagged", WHEN), ("since", WHEN), ("until", WHEN),
        ("count", 8), ("covered_seq", 10), ("covered_entry", 10), ("subject", 16), ("kind", 18),
        ("written_utc", WHEN), ("stated_utc", WHEN), ("detail", LONG)),
}

# A cell: text, a number, a moment (aware: UTC; naive: in the export's zone), a calendar day, or nothing.
Cell = str | int | datetime | date | None
Row = tuple[Sequence[Cell], bool]  # the values, and whether the row stands out (a flag concerns it)


# -- what is resolved once -------------------------------------------------------------------------------------

@dataclass
class _Context:
    workspace: int
    request: ExportRequest
    reader: Reader
    zone: ZoneInfo
    people: dict[int, Person]  # by id, for the timeline's sentences
    names: dict[str, str]  # a Slack user id's name, for the mentions in them
    departments: dict[int, str]
    locations: dict[int, str]
    covered: dict[int, int]  # an entry covered by a back-dating burst -> the burst's seq
    start: datetime | None  # the period, in UTC: [start, end)
    end: datetime | None
    words: dict[str, str] = field(default_factory=dict)  # plain texts without values, looked up once

    @classmethod
    def load(cls, session: Session, workspace: int, request: ExportRequest) -> _Context:
        org = session.get(Organisation, workspace)
        zone_name = request.timezone or (org.timezone if org is not None else None) or "UTC"
        tz = zone(zone_name)
        reader = Reader(lang=request.language, tz=tz.key)
        people = {p.id: p for p in session.scalars(select(Person).where(Person.organisation_id == workspace))}
        lang = request.language
        names = {p.slack_user_id: p.name(lang) for p in people.values()}
        departments = {d.id: d.name(lang) for d in session.scalars(
            select(Department).where(Department.organisation_id == workspace))}
        locations = {loc.id: loc.name(lang) for loc in session.scalars(
            select(Location).where(Location.organisation_id == workspace))}
        start = datetime.combine(request.since, time(), tz).astimezone(UTC) if request.since else None
        end = (datetime.combine(request.until + timedelta(days=1), time(), tz).astimezone(UTC)
               if request.until else None)
        context = cls(workspace, request, reader, tz, people, names, departments, locations, {}, start, end)
        for burst in session.execute(_flag_entries(workspace, BURST)):
            for entry_id in burst.EvidenceEntry.detail.get("entries") or []:
                context.covered.setdefault(int(entry_id), burst.seq)
        return context

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def word(self, key: str) -> str:
        found = self.words.get(key)
        if found is None:
            found = self.words[key] = plain(self.reader, key)
        return found

    def injury(self, code: str) -> str:
        return self.word(f"reports.injury.{code}" if self.request.injuries else "export.word.withheld")

    def detail(self, detail: dict[str, Any]) -> str:
        if not self.request.injuries and detail.get("injury"):
            detail = {**detail, "injury": self.word("export.word.withheld")}
        return canonical(detail)

    def yes_no(self, value: bool) -> str:
        return self.word("export.word.yes" if value else "export.word.no")

    def local(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(self.zone).replace(tzinfo=None)

    def person(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        found = self.people.get(person_id)
        return found.name(self.reader.lang) if found else plain(self.reader, "export.who.unknown", id=person_id)

    def who(self, actor_id: int | None, detail: dict[str, Any]) -> str:
        """The person who took a step; an anonymous reporter is never looked for."""
        if actor_id is not None:
            return self.person(actor_id) or ""
        return self.word("export.who.anonymous_reporter" if detail.get("anonymous") else "export.who.triad")

    def period(self, column: Any) -> list[ColumnElement[bool]]:
        return [c for c in ((column >= self.start) if self.start else None,
                            (column < self.end) if self.end else None) if c is not None]

    def reports_kept(self) -> Query:
        """The ids of the reports the filters keep (reports and actions by the report's filing time)."""
        return (select(Report.id).where(Report.organisation_id == self.workspace, *self.period(Report.created_at),
                                        *self.of_reports()).correlate(None))

    def of_reports(self) -> list[ColumnElement[bool]]:
        """The reports the standard and department filters keep."""
        found: list[ColumnElement[bool]] = []
        if self.request.standard is not None:
            found.append(exists().where(ReportStandard.report_id == Report.id,
                                        ReportStandard.standard == self.request.standard))
        if self.request.department_id is not None:
            found.append(Report.department_id == self.request.department_id)
        return found


# -- the sheets ------------------------------------------------------------------------------------------------

MASK = {Standard.QUALITY: 1, Standard.ENVIRONMENT: 2, Standard.SAFETY: 4}


def _standards_mask(workspace: int) -> Any:
    """Each report's standards as one number (a bit each): one aggregate, joined, instead of a query per report."""
    return (select(ReportStandard.report_id.label("report_id"),
                   func.sum(case(*((ReportStandard.standard == s, bit) for s, bit in MASK.items()), else_=0))
                   .label("mask"))
            .where(ReportStandard.organisation_id == workspace).group_by(ReportStandard.report_id).subquery())


@cache
def _standards(mask: int | None) -> tuple[Standard, ...]:
    return tuple(s for s, bit in MASK.items() if (mask or 0) & bit)


def _reports(session: Session, c: _Context) -> Iterator[Row]:
    ws, mask = c.workspace, _standards_mask(c.workspace)
    marks = _marks(c, EvidenceEntry.report_id, "filed", func.min, "filed")
    filed, latest = aliased(EvidenceSeal), aliased(EvidenceSeal)
    query = (select(Report, mask.c.mask, marks.c.filed, filed.hash.label("filed_hash"), marks.c.latest,
                    latest.hash.label("latest_hash"))
             .outerjoin(mask, mask.c.report_id == Report.id).outerjoin(marks, marks.c.key == Report.id)
             .outerjoin(filed, and_(filed.organisation_id == ws, filed.seq == marks.c.filed))
             .outerjoin(latest, and_(latest.organisation_id == ws, latest.seq == marks.c.latest))
             .where(Report.organisation_id == ws, *c.period(Report.created_at), *c.of_reports())
             .order_by(Report.id))
    for row in _stream(session, query):
        r: Report = row.Report
        standards = _standards(row.mask)
        whys = " / ".join(f"{n}. {why}" for n, why in enumerate(r.root_cause_whys or [], 1))
        rejection = c.word(f"reports.rejection.{r.rejection}") if r.rejection else None
        if rejection and r.duplicate_of:
            rejection = f"{rejection} ({r.duplicate_of})"
        reporter = c.word("export.who.anonymous") if r.anonymous else c.person(r.reporter_id)
        yield ((r.reference, c.word(f"reports.kind.{r.kind.value}"), c.word(f"reports.status_name.{r.status.value}"),
                listed(c.reader, (c.word(f"common.standard.{s.value}") for s in standards)), r.description,
                c.locations.get(r.location_id) if r.location_id else None, r.place,
                c.departments.get(r.department_id) if r.department_id else None, c.local(r.occurred_at),
                c.local(r.created_at), c.injury(r.injury_class.value) if r.injury_class else None,
                _risk(c, r.risk_level), r.likelihood, r.severity, _risk(c, r.residual_risk_level),
                r.residual_likelihood, r.residual_severity, whys or None, r.root_cause, rejection, c.local(r.closed_at),
                reporter, clauses.shown(clauses.for_report(r.kind, standards)), row.filed, row.filed_hash, row.latest,
                row.latest_hash), False)


def _marks(c: _Context, key: Any, kind: str, pick: Any, label: str) -> Any:
    """Per report (or action) of the kept reports: the seq of its latest entry, and of its first (or last) entry of
    ``kind`` as ``label``: one aggregate over the log, joined, instead of a query per row."""
    return (select(key.label("key"), func.max(EvidenceSeal.seq).label("latest"),
                   pick(case((EvidenceEntry.kind == kind, EvidenceSeal.seq))).label(label))
            .join(EvidenceSeal, EvidenceSeal.entry_id == EvidenceEntry.id)
            .where(EvidenceEntry.organisation_id == c.workspace, EvidenceEntry.domain == "reports", key.is_not(None),
                   EvidenceEntry.report_id.in_(c.reports_kept()))
            .group_by(key).subquery())


def _risk(c: _Context, level: Any) -> str | None:
    return c.word(f"export.risk.{level.value}") if level is not None else None


def _actions(session: Session, c: _Context) -> Iterator[Row]:
    ws, mask = c.workspace, _standards_mask(c.workspace)
    marks = _marks(c, EvidenceEntry.action_id, "action_verified", func.max, "verified")
    seal, verification = aliased(EvidenceSeal), aliased(EvidenceEntry)
    a = CorrectiveAction
    query = (select(a.number, a.type, a.control_level, a.description, a.owner_id, a.verifier_id, a.due_on, a.status,
                    a.done_at, a.verified_at, Report.reference, mask.c.mask, verification.actor_id.label("verified_by"),
                    seal.seq, seal.hash)
             .join(Report, Report.id == a.report_id)
             .outerjoin(mask, mask.c.report_id == Report.id).outerjoin(marks, marks.c.key == a.id)
             .outerjoin(seal, and_(seal.organisation_id == ws,
                                   seal.seq == func.coalesce(marks.c.verified, marks.c.latest)))
             .outerjoin(verification, and_(verification.id == seal.entry_id, marks.c.verified.is_not(None)))
             .where(a.organisation_id == ws, *c.period(Report.created_at), *c.of_reports())
             .order_by(Report.id, a.number))
    for row in _stream(session, query):
        yield ((row.reference, row.number, c.word(f"reports.action_type.{row.type.value}"),
                c.word(f"reports.control.{row.control_level.value}") if row.control_level else None, row.description,
                c.person(row.owner_id), c.person(row.verifier_id), row.due_on,
                c.word(f"reports.action_status.{row.status.value}"), c.local(row.done_at), c.person(row.verified_by),
                c.local(row.verified_at),
                clauses.shown(clauses.for_action(row.type, row.control_level is not None, _standards(row.mask))),
                row.seq, row.hash), False)


def _timeline(session: Session, c: _Context) -> Iterator[Row]:
    for row in _entries(session, c, reports_only=True):
        entry: EvidenceEntry = row.EvidenceEntry
        flags = _flags(c, entry, row.seq)
        stated = c.local(entry.stated_at)
        yield ((row.seq, entry.id, entry.subject, entry.detail.get("number") if entry.action_id else None,
                entry.written_at, c.local(entry.written_at), stated, c.yes_no(entry.backdated),
                c.who(entry.actor_id, entry.detail), _sentence(c, entry), entry.kind,
                _entry_clauses(entry, row.report_kind, row.mask), "; ".join(flags) or None, row.content_hash,
                row.prev_hash, row.hash), _stands_out(c, entry, row.seq))


def _evidence(session: Session, c: _Context) -> Iterator[Row]:
    for row in _entries(session, c, reports_only=False):
        entry: EvidenceEntry | None = row.EvidenceEntry
        if entry is None:  # a seal whose entry is gone: verify says "deleted"
            yield ((row.seq, row.entry_id, *([None] * 14), c.word("export.flag.gone"), row.content_hash,
                    row.prev_hash, row.hash), True)
            continue
        flags = _flags(c, entry, row.seq)
        yield ((row.seq, entry.id, entry.written_at, c.local(entry.written_at), entry.stated_at,
                c.yes_no(entry.backdated), entry.actor_id, c.who(entry.actor_id, entry.detail), entry.domain,
                entry.kind, entry.subject, entry.report_id, entry.action_id, entry.corrects_id, c.detail(entry.detail),
                _entry_clauses(entry, row.report_kind, row.mask), "; ".join(flags) or None, row.content_hash,
                row.prev_hash, row.hash), _stands_out(c, entry, row.seq))


def _flag_rows(session: Session, c: _Context) -> Iterator[Row]:
    """Each back-dating burst with the entries it covers (those the filters keep), and each chain break found."""
    filtered = bool(c.of_reports())
    query = (select(EvidenceEntry, EvidenceSeal.seq)
             .join(EvidenceSeal, EvidenceSeal.entry_id == EvidenceEntry.id)
             .where(EvidenceEntry.organisation_id == c.workspace, EvidenceEntry.domain == "evidence",
                    EvidenceEntry.kind.in_((BURST, BREAK)), *c.period(EvidenceEntry.written_at))
             .order_by(EvidenceSeal.seq))
    for flag in list(_stream(session, query)):  # a few: read before the entries they cover are
        entry: EvidenceEntry = flag.EvidenceEntry
        detail = entry.detail
        head = (flag.seq, entry.id, _flag_word(c, entry), entry.written_at, _moment_of(detail.get("since")),
                _moment_of(detail.get("until")), detail.get("count"))
        if entry.kind == BREAK:
            yield ((*head, None, None, None, None, None, None, canonical(detail)), True)
            continue
        covered = 0
        for row in _covered(session, c, [int(i) for i in detail.get("entries") or []]):
            covered += 1
            yield ((*head, row.seq, row.id, row.subject, row.kind, row.written_at, row.stated_at, None), True)
        if covered == 0 and not filtered:
            yield ((*head, None, None, None, None, None, None, canonical(detail)), True)


def _covered(session: Session, c: _Context, ids: list[int]) -> Iterator[Any]:
    for start in range(0, len(ids), 500):
        query = (select(EvidenceEntry.id, EvidenceEntry.subject, EvidenceEntry.kind, EvidenceEntry.written_at,
                        EvidenceEntry.stated_at, EvidenceSeal.seq)
                 .outerjoin(EvidenceSeal, EvidenceSeal.entry_id == EvidenceEntry.id)
                 .where(EvidenceEntry.organisation_id == c.workspace, EvidenceEntry.id.in_(ids[start:start + 500])))
        if c.of_reports():
            query = query.join(Report, Report.id == EvidenceEntry.report_id).where(*c.of_reports())
        yield from session.execute(query.order_by(EvidenceSeal.seq, EvidenceEntry.id))


ROWS: dict[str, Callable[[Session, _Context], Iterator[Row]]] = {
    "reports": _reports, "actions": _actions, "timeline": _timeline, "evidence": _evidence, "flags": _flag_rows,
}


def _entries(session: Session, c: _Context, *, reports_only: bool) -> Iterator[Any]:
    """Sealed entries in the chain's order, then any entry no commit of Triad's sealed (verify's "inserted")."""
    ws, mask = c.workspace, _standards_mask(c.workspace)
    filtered = reports_only or bool(c.of_reports()) or c.start is not None or c.end is not None
    conditions = [*c.period(EvidenceEntry.written_at), *c.of_reports()]
    if reports_only:
        conditions.append(EvidenceEntry.domain == "reports")

    def around(query: Query) -> Query:
        join = query.join if c.of_reports() else query.outerjoin
        return (join(Report, and_(Report.id == EvidenceEntry.report_id, Report.organisation_id == ws))
                .outerjoin(mask, mask.c.report_id == EvidenceEntry.report_id).where(*conditions))

    sealed = select(EvidenceSeal.seq, EvidenceSeal.entry_id, EvidenceSeal.content_hash, EvidenceSeal.prev_hash,
                    EvidenceSeal.hash, EvidenceEntry, Report.kind.label("report_kind"), mask.c.mask)
    on = and_(EvidenceEntry.id == EvidenceSeal.entry_id, EvidenceEntry.organisation_id == ws)
    sealed = sealed.select_from(EvidenceSeal).join(EvidenceEntry, on) if filtered else \
        sealed.select_from(EvidenceSeal).outerjoin(EvidenceEntry, on)
    yield from _stream(session, around(sealed.where(EvidenceSeal.organisation_id == ws)).order_by(EvidenceSeal.seq))
    unsealed = (select(EvidenceEntry, Report.kind.label("report_kind"), mask.c.mask).select_from(EvidenceEntry)
                .where(EvidenceEntry.organisation_id == ws,
                       ~exists().where(EvidenceSeal.entry_id == EvidenceEntry.id)))
    for row in _stream(session, around(unsealed).order_by(EvidenceEntry.id)):
        yield _Unsealed(row.EvidenceEntry, row.report_kind, row.mask)


@dataclass(frozen=True)
class _Unsealed:
    EvidenceEntry: EvidenceEntry  # noqa: N815 - read like the rows of the sealed query
    report_kind: ReportKind | None
    mask: int | None
    seq: None = None
    entry_id: None = None
    content_hash: None = None
    prev_hash: None = None
    hash: None = None


def _stream(session: Session, query: Query) -> Iterator[Any]:
    yield from session.execute(query.execution_options(yield_per=BATCH))


def _flag_entries(workspace: int, kind: str) -> Query:
    return (select(EvidenceEntry, EvidenceSeal.seq).join(EvidenceSeal, EvidenceSeal.entry_id == EvidenceEntry.id)
            .where(EvidenceEntry.organisation_id == workspace, EvidenceEntry.domain == "evidence",
                   EvidenceEntry.kind == kind).order_by(EvidenceSeal.seq))


def _entry_clauses(entry: EvidenceEntry, report_kind: ReportKind | None, mask: int | None) -> str:
    return _clauses_of(entry.domain, entry.kind, report_kind, mask)


@cache
def _clauses_of(domain: str, kind: str, report_kind: ReportKind | None, mask: int | None) -> str:
    return clauses.shown(clauses.for_entry(domain, kind, report_kind, _standards(mask)))


def _flags(c: _Context, entry: EvidenceEntry, seq: int | None) -> list[str]:
    found = []
    if seq is None:
        found.append(c.word("export.flag.unsealed"))
    if entry.backdated:
        found.append(c.word("export.flag.backdated"))
    burst = c.covered.get(entry.id)
    if burst is not None:
        found.append(plain(c.reader, "export.flag.in_burst", seq=burst))
    if entry.domain == "evidence" and entry.kind in (BURST, BREAK):
        found.append(_flag_word(c, entry))
    return found


def _stands_out(c: _Context, entry: EvidenceEntry, seq: int | None) -> bool:
    return seq is None or entry.id in c.covered or (entry.domain == "evidence" and entry.kind in (BURST, BREAK))


def _flag_word(c: _Context, entry: EvidenceEntry) -> str:
    if entry.kind == BURST:
        return plain(c.reader, "export.flag.burst", count=entry.detail.get("count") or len(entry.detail.get("entries")
                                                                                               or []))
    return c.word("export.flag.break_found")


def _moment_of(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def canonical(detail: dict[str, Any] | None) -> str:
    """An entry's detail as its seal serialises it (storage/chain.py): sorted keys, no spaces, UTF-8."""
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# -- a timeline entry's sentence, as plain text ----------------------------------------------------------------

def _sentence(c: _Context, entry: EvidenceEntry) -> str:
    try:
        said = timeline.describe(entry, c.reader, c.people)
    except (KeyError, TypeError, ValueError, jinja2.TemplateError):  # an entry no text knows: its kind says it
        return entry.kind
    return plain_text(str(said), c.names, c.reader.lang)


_SLACK_TOKEN = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")


def plain_text(mrkdwn: str, names: dict[str, str], lang: str = "en") -> str:
    """A mrkdwn sentence as a spreadsheet shows it: mentions as names, links as their labels, no emphasis or
    emoji, entities unescaped."""
    def token(match: re.Match[str]) -> str:
        sigil, target, label = match.groups()
        if sigil == "@":
            return names.get(target, f"@{target}")
        if sigil == "#":
            return f"#{label or target}"
        return label or target

    text = _SLACK_TOKEN.sub(token, mrkdwn)
    text = _emoji(lang).sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = re.sub(r" {2,}", " ", text).strip()
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@cache
def _emoji(lang: str) -> re.Pattern[str]:
    """The emoji codes Triad's own texts use (":white_check_mark: "); anything else between colons is words."""
    codes = sorted({code for value in catalog(lang).values() for code in re.findall(r":[a-z0-9_+-]+:", value)
                    if re.search("[a-z]", code)}, key=len, reverse=True)
    return re.compile("|".join(re.escape(code) + " ?" for code in codes) or r"(?!)")


# -- the formats -----------------------------------------------------------------------------------------------

class Sink(Protocol):
    def begin(self, sheet: str, title: str, headings: list[str], columns: Sequence[Column]) -> None: ...

    def row(self, values: Sequence[Cell], flagged: bool) -> None: ...

    def end(self) -> None: ...

    def close(self) -> None: ...


_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula when it opens a CSV


def csv_text(value: Cell) -> str:
    """A cell as CSV text: UTC moments to the microsecond as the chain's content has them, moments in the export's
    zone to the second, text that a spreadsheet would run as a formula quoted with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA) else value
    return str(value)


class _Csv:
    """One sheet as one CSV file: UTF-8 with a byte-order mark, so Excel reads Chinese as Chinese."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._text: io.TextIOWrapper | None = None
        self._writer: Any = None

    def begin(self, sheet: str, title: str, headings: list[str], columns: Sequence[Column]) -> None:
        self._text = io.TextIOWrapper(self._target(sheet), encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(headings)

    def _target(self, sheet: str) -> IO[bytes]:
        return self._out

    def row(self, values: Sequence[Cell], flagged: bool) -> None:
        self._writer.writerow([csv_text(v) for v in values])

    def end(self) -> None:
        assert self._text is not None
        self._text.flush()
        self._text.detach()
        self._text = None

    def close(self) -> None:
        if self._text is not None:
            self._text.detach()


class _CsvZip(_Csv):
    """Several sheets: a .zip of one CSV each, compressed as it is written."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__(out)
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self._member: IO[bytes] | None = None

    def _target(self, sheet: str) -> IO[bytes]:
        self._member = self._zip.open(f"{sheet}.csv", "w", force_zip64=True)
        return self._member

    def end(self) -> None:
        super().end()
        if self._member is not None:
            self._member.close()
            self._member = None

    def close(self) -> None:
        super().close()
        if self._member is not None:
            self._member.close()
        self._zip.close()


class _Xlsx:
    """A workbook of one worksheet per sheet, written row by row in XlsxWriter's constant-memory mode: each row
    goes to a temporary file as it is written, and the workbook is zipped together at ``close``."""

    def __init__(self, out: IO[bytes]) -> None:
        import xlsxwriter  # here: its ~10 MB are loaded by the process that makes a workbook, not by every web worker

        self._book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False, "strings_to_numbers": False})
        self._formats = {
            (kind, flagged): self._book.add_format({**spec, **({"bg_color": "#FCE4D6"} if flagged else {})})
            for kind, spec in (("text", {}), ("moment", {"num_format": "yyyy-mm-dd hh:mm:ss"}),
                               ("day", {"num_format": "yyyy-mm-dd"}))
            for flagged in (False, True)}
        self._heading = self._book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self._sheet: Any = None
        self._title = ""
        self._headings: list[str] = []
        self._columns: Sequence[Column] = ()
        self._row, self._part = 0, 1

    def begin(self, sheet: str, title: str, headings: list[str], columns: Sequence[Column]) -> None:
        self._title, self._headings, self._columns, self._part = title, headings, columns, 1
        self._new_sheet(title)

    def _new_sheet(self, name: str) -> None:
        self._sheet = self._book.add_worksheet(_sheet_name(name))
        for n, column in enumerate(self._columns):
            self._sheet.set_column(n, n, column.width)
        self._sheet.write_row(0, 0, self._headings, self._heading)
        self._sheet.freeze_panes(1, 0)
        self._row = 1

    def row(self, values: Sequence[Cell], flagged: bool) -> None:
        if self._row == XLSX_ROWS:
            self.end()
            self._part += 1
            self._new_sheet(f"{self._title} ({self._part})")
        sheet, r, formats = self._sheet, self._row, self._formats
        for n, value in enumerate(values):
            if value is None:
                if flagged:
                    sheet.write_blank(r, n, None, formats["text", True])
            elif isinstance(value, datetime):
                moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
                sheet.write_datetime(r, n, moment, formats["moment", flagged])
            elif isinstance(value, date):
                sheet.write_datetime(r, n, value, formats["day", flagged])
            elif isinstance(value, int):
                sheet.write_number(r, n, value, formats["text", flagged] if flagged else None)
            else:
                if len(value) > XLSX_CELL:  # a long detail (a burst's entries): whole in CSV, cut here
                    value = value[:XLSX_CELL - 1] + "…"
                sheet.write_string(r, n, value, formats["text", flagged] if flagged else None)
        self._row += 1

    def end(self) -> None:
        if self._sheet is not None and self._columns:
            self._sheet.autofilter(0, 0, max(self._row - 1, 1), len(self._columns) - 1)

    def close(self) -> None:
        if not self._book.worksheets():
            self._book.add_worksheet()
        self._book.close()


def _sheet_name(name: str) -> str:
    """A worksheet's name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31]


def sheets_of(names: Iterable[str]) -> tuple[str, ...]:
    """Sheet names as a person types them (``reports,timeline``), checked, in the workbook's order."""
    wanted = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in SHEETS]
    if unknown:
        raise ExportError(f"no sheet {', '.join(unknown)}: choose from {', '.join(SHEETS)}")
    return tuple(s for s in SHEETS if s in wanted)
