"""The export form (prompts/blocks/export_form.yml.j2) and the reading of what it sends back."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.evidence.export import FORMATS
from bot.evidence.requests import OFFERED, ExportDraft, default_period, today
from bot.evidence.values import ExportForm
from bot.i18n import Reader, render
from bot.org import people
from storage.models import Department, Standard

FORM = "evidence_export_submit"
DEPARTMENTS_SHOWN = 100  # a select's options at most


def export_form(session: Session, reader: Reader, meta: ExportForm) -> dict[str, Any]:
    since, until = default_period(today(session))
    departments = [{"name": d.name(reader.lang), "id": str(d.id)}
                   for d in session.scalars(select(Department).order_by(Department.name_en).limit(DEPARTMENTS_SHOWN))]
    return render("export_form", reader, callback_id=FORM, metadata=meta.encode(), sheets=OFFERED,
                  since=since.isoformat(), until=until.isoformat(), timezone=people.settings_of(session).timezone,
                  standards=[s.value for s in Standard], departments=departments, formats=FORMATS[::-1])


def read_export_form(values: dict[str, Any]) -> ExportDraft:
    def element(block_id: str) -> dict[str, Any]:
        found = next(iter((values.get(block_id) or {}).values()), None)
        return found if isinstance(found, dict) else {}

    def option(block_id: str) -> str | None:
        chosen = element(block_id).get("selected_option")
        return chosen.get("value") if isinstance(chosen, dict) else None

    sheets = tuple(o.get("value") for o in element("sheets").get("selected_options") or [] if isinstance(o, dict))
    standard = option("standard")
    department = option("department")
    return ExportDraft(
        sheets=tuple(s for s in sheets if isinstance(s, str)), since=_date(element("since").get("selected_date")),
        until=_date(element("until").get("selected_date")),
        standard=Standard(standard) if standard in {s.value for s in Standard} else None,
        department_id=int(department) if department and department.isdigit() and len(department) < 10 else None,
        format=option("format") or "")


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
