"""How an accepted export is shown: the requester's "being prepared" DM and the upload that brings the file, both
written to the outbox in the step's own transaction; the words both share."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.events import Event
from bot.evidence.events import ExportRequested
from bot.evidence.export import ExportRequest
from bot.evidence.requests import OFFERED, request_args
from bot.i18n import Reader, catalog, listed, plain, text
from handlers import dms
from storage.models import Department

MAKER = "evidence.export"  # the name the outbox finds delivery.export_file under (listeners.SLACK.files)


def reference(key: str) -> str:
    """The export's short reference, in both DMs: how the person, and a repeated upload, tell it."""
    return key[:8]


def sheet_name(reader: Reader, sheet: str) -> str:
    """A sheet as the DMs name it (one the form does not offer by its own name too)."""
    key = f"export_form.sheet.{sheet}"
    return plain(reader, key) if key in catalog(reader.lang) else sheet


def what(reader: Reader, request: ExportRequest) -> str:
    return listed(reader, (sheet_name(reader, sheet) for sheet in request.sheets if sheet in OFFERED))


def scope(session: Session, reader: Reader, request: ExportRequest) -> str:
    parts = []
    if request.standard is not None:
        parts.append(plain(reader, f"common.standard.{request.standard.value}"))
    department = session.get(Department, request.department_id) if request.department_id else None
    if department is not None:
        parts.append(department.name(reader.lang))
    return listed(reader, parts)


def export_requested(session: Session, event: ExportRequested) -> None:
    someone = dms.person(session, event.person_id)
    reader = dms.reader_of(session, someone)
    request = event.request
    outbox.post(session, f"export:{event.key}:preparing", someone.slack_user_id, {"text": text(
        reader, "export_form.preparing", what=what(reader, request), since=request.since, until=request.until,
        scope=scope(session, reader, request), reference=reference(event.key))})
    outbox.upload(session, f"export:{event.key}:file", someone.slack_user_id, MAKER,
                  {**request_args(request), "reference": reference(event.key)}, reference=reference(event.key))


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {ExportRequested: export_requested}
