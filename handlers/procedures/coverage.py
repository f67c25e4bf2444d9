"""Coverage in Slack: acknowledged of required by procedure and by department, who is missing, the nudge, and the
CSV an auditor asks for (made when the outbox delivers it, like the evidence exports)."""
from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.gateway import FileUpload
from bot.i18n import Reader, chunked, plain, render, text
from bot.org.people import Actor
from bot.procedures import coverage, service
from bot.procedures.values import CoverageRef
from bot.reports.timeline import due_datetime
from storage.db import Database
from storage.models import Acknowledgment, Department, Person, Procedure, ProcedureStatus, ProcedureVersion

MAKER = "procedures.coverage"
LINES_SHOWN = 30  # procedures, departments or people listed in a modal (100 blocks)


def _button(reader: Reader, action_id: str, label: str, ref: CoverageRef, style: str | None = None) -> dict[str, Any]:
    button = {"action_id": action_id, "value": ref.encode(), "label": plain(reader, f"procedures.button.{label}")}
    return {**button, "style": style} if style else button


def _department_name(reader: Reader, departments: dict[int, Department], department_id: int | None) -> str:
    found = departments.get(department_id) if department_id is not None else None
    return found.name(reader.lang) if found else plain(reader, "procedures.coverage.no_department")


def coverage_view(session: Session, actor: Actor, scope: list[int] | None) -> dict[str, Any]:
    """``scope``: the departments the person sees (None: all)."""
    reader = actor.reader
    departments = coverage.department_names(session)
    in_force = {v.procedure_id: v for v in session.scalars(select(ProcedureVersion).where(
        ProcedureVersion.status == ProcedureStatus.PUBLISHED))}
    where = (plain(reader, "procedures.coverage.scope_all") if scope is None
             else ", ".join(_department_name(reader, departments, d) for d in scope))
    sections: list[dict[str, Any]] = [{"heading": str(text(reader, "procedures.coverage.heading", scope=where)),
                                       "entries": []}]
    found = coverage.summary(session, departments=scope)
    total = found.total
    if not total.required:
        sections[0]["entries"].append({"text": str(text(reader, "procedures.coverage.nothing"))})
    else:
        sections[0]["entries"].append({"text": str(text(
            reader, "procedures.coverage.total", done=total.acknowledged, required=total.required,
            percent=total.percent, pass_rate=total.pass_rate))})
        lines = sorted(found.by_procedure, key=lambda line: line.percent)
        sections.append({"heading": str(text(reader, "procedures.coverage.by_procedure")), "entries": [
            {"text": str(text(reader, "procedures.coverage.procedure", code=v.procedure.code,
                              title=v.title(reader.lang), version=v.version, done=line.acknowledged,
                              required=line.required, percent=line.percent, pass_rate=line.pass_rate)),
             "button": _button(reader, "procedure_missing", "missing", CoverageRef(procedure=line.id))}
            for line in lines[:LINES_SHOWN] if line.id is not None and (v := in_force.get(line.id)) is not None]})
        by_department = sorted(found.by_department, key=lambda line: line.percent)
        sections.append({"heading": str(text(reader, "procedures.coverage.by_department")), "entries": [
            {"text": str(text(reader, "procedures.coverage.department",
                              department=_department_name(reader, departments, line.id), done=line.acknowledged,
                              required=line.required, percent=line.percent, pass_rate=line.pass_rate)),
             "button": _button(reader, "procedure_missing", "missing", CoverageRef(department=line.id))
             if line.id is not None else None}
            for line in by_department[:LINES_SHOWN]]})
    buttons = [_button(reader, "procedure_nudge", "nudge", CoverageRef(), "primary"),
               _button(reader, "procedure_export", "export", CoverageRef())] if total.required > total.acknowledged \
        else [_button(reader, "procedure_export", "export", CoverageRef())] if total.required else []
    return render("procedure_list", reader, modal=True, title=plain(reader, "procedures.coverage.title"),
                  metadata=None, fallback="", sections=sections, buttons=buttons)


def missing_view(session: Session, actor: Actor, ref: CoverageRef, scope: list[int] | None) -> dict[str, Any]:
    reader, today = actor.reader, service.today(session)
    departments = coverage.department_names(session)
    shown = LINES_SHOWN * 3
    people = coverage.missing(session, procedure_id=ref.procedure, department_id=ref.department, departments=scope,
                              limit=shown)
    counted = coverage.total(session, procedure_id=ref.procedure, department_id=ref.department, departments=scope)
    count = counted.required - counted.acknowledged
    procedure = session.get(Procedure, ref.procedure) if ref.procedure else None
    lines = [str(text(reader, "procedures.coverage.missing_item", person=(m.name_zh or m.name_en) if reader.lang == "zh"
                      else m.name_en, department=_department_name(reader, departments, m.department_id)
                      if m.department_id else None, code=m.code, version=m.version, due=due_datetime(m.due_on),
                      overdue=m.due_on < today)) for m in people]
    if count > len(people):
        lines.append(str(text(reader, "procedures.mine.more", count=count - len(people))))
    heading = str(text(reader, "procedures.coverage.missing_heading", code=procedure.code if procedure else None,
                       department=_department_name(reader, departments, ref.department) if ref.department else None,
                       count=count))
    entries = [{"text": chunk} for chunk in chunked(lines)] or [
        {"text": str(text(reader, "procedures.coverage.missing_none"))}]
    buttons = ([_button(reader, "procedure_nudge", "nudge", ref, "primary")] if people else []) + [
        _button(reader, "procedure_export", "export", ref)]
    return render("procedure_list", reader, modal=True, title=plain(reader, "procedures.coverage.missing_title"),
                  metadata=None, fallback="", sections=[{"heading": heading, "entries": entries}], buttons=buttons)


# --- the CSV ------------------------------------------------------------------------------------------------------

COLUMNS = ("procedure", "title", "version_in_force", "person", "slack_user_id", "department", "status", "due_on",
           "acknowledged_at", "version_acknowledged", "check_attempts", "check_first_try", "document_opened_at",
           "evidence_entry")


def coverage_rows(session: Session, procedure_id: int | None, department_id: int | None,
                  departments: list[int] | None) -> Iterator[list[str]]:
    acknowledged = ProcedureVersion.__table__.alias("acknowledged")
    query = (select(Procedure.code, ProcedureVersion.title_en, ProcedureVersion.version, Person.name_en,
                    Person.slack_user_id, Department.code, Acknowledgment.status, Acknowledgment.due_on,
                    Acknowledgment.acknowledged_at, acknowledged.c.version, Acknowledgment.attempts,
                    Acknowledgment.first_try, Acknowledgment.opened_at, Acknowledgment.evidence_id)
             .select_from(Acknowledgment).join(Person, Acknowledgment.person_id == Person.id)
             .join(Procedure, Acknowledgment.procedure_id == Procedure.id)
             .join(ProcedureVersion, (ProcedureVersion.procedure_id == Procedure.id)
                   & (ProcedureVersion.status == ProcedureStatus.PUBLISHED))
             .outerjoin(acknowledged, acknowledged.c.id == Acknowledgment.acknowledged_version_id)
             .outerjoin(Department, Department.id == Person.department_id)
             .where(Acknowledgment.required.is_(True)).order_by(Procedure.code, Department.code, Person.name_en))
    if procedure_id is not None:
        query = query.where(Acknowledgment.procedure_id == procedure_id)
    if department_id is not None:
        query = query.where(Person.department_id == department_id)
    if departments is not None:
        query = query.where(Person.department_id.in_(departments))
    for row in session.execute(query.execution_options(yield_per=1000)):
        (code, title, version, name, slack_id, department, status, due, at, acked, attempts, first_try, opened,
         entry) = row
        yield [code, title, version, name, slack_id, department or "", status.value, due.isoformat(),
               at.isoformat() if at else "", acked or "", str(attempts), "" if first_try is None else str(first_try),
               opened.isoformat() if opened else "", str(entry or "")]


@contextmanager
def coverage_file(db: Database, workspace: int, args: dict[str, Any]) -> Iterator[FileUpload]:
    reader = Reader(lang=str(args.get("lang") or "en"), tz=str(args.get("tz") or "UTC"))
    departments = args.get("departments")
    handle, name = tempfile.mkstemp(prefix="triad-coverage-", suffix=".csv")
    path = Path(name)
    try:
        rows = 0
        with os.fdopen(handle, "w", newline="", encoding="utf-8-sig") as out, db.read(workspace) as s:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for row in coverage_rows(s, args.get("procedure"), args.get("department"),
                                     list(departments) if isinstance(departments, list) else None):
                writer.writerow(row)
                rows += 1
        day = str(args.get("day") or "")
        comment = text(reader, "procedures.coverage.file_comment", day=day, scope=args.get("scope") or "", rows=rows,
                       reference=str(args.get("reference") or ""))
        yield FileUpload(path, f"triad-procedure-coverage-{day}.csv",
                         plain(reader, "procedures.coverage.file_title", day=day), str(comment))
    finally:
        path.unlink(missing_ok=True)
