"""The file an export's upload shares, made when the outbox delivers it: ``bot.evidence.export.write`` streams the
rows into a temporary file from read-only units of work of its own; the comment says what it holds, in the
requester's language, with the period and the head of the evidence chain when it was made."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.evidence import export
from bot.evidence.requests import request_from
from bot.gateway import DeliveryError, FileUpload
from bot.i18n import Reader, listed, plain, text
from handlers.evidence.notices import scope, sheet_name, what
from storage.db import Database
from storage.models import EvidenceHead

HEAD_SHOWN = 16  # hex digits of the chain head in the comment (the file has it whole)


@contextmanager
def export_file(db: Database, workspace: int, args: dict[str, Any]) -> Iterator[FileUpload]:
    request = request_from(args)
    reader = Reader(lang=request.language, tz=request.timezone or "UTC")
    reference = str(args.get("reference") or "")
    with db.read(workspace) as s:  # the head first: everything it seals is in the file
        head = s.get(EvidenceHead, workspace)
        seq, head_hash = (head.seq, head.hash) if head is not None else (0, "")
        where = scope(s, reader, request)
    handle, name = tempfile.mkstemp(prefix="triad-export-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                summary = export.write(db, workspace, request, out)
            except export.ExportError as exc:  # the form checks what it asks for: never made, whatever the retries
                raise DeliveryError(f"export refused: {exc}", permanent=True, ambiguous=False) from exc
        filename = f"triad-evidence-{request.since}_{request.until}{_suffix(request, summary)}"
        rows = listed(reader, (plain(reader, "export_form.rows", sheet=sheet_name(reader, sheet),
                                     count=summary.rows.get(sheet, 0)) for sheet in request.sheets))
        comment = text(reader, "export_form.delivered" if seq else "export_form.delivered_empty_chain",
                       what=what(reader, request), since=request.since, until=request.until, scope=where, rows=rows,
                       seq=seq, head=head_hash[:HEAD_SHOWN], reference=reference)
        yield FileUpload(path, filename, plain(reader, "export_form.file_title", since=request.since,
                                               until=request.until), str(comment))
    finally:
        path.unlink(missing_ok=True)


def _suffix(request: export.ExportRequest, summary: export.ExportSummary) -> str:
    """The export's own kind of file: its name's ending when it gives one."""
    given = Path(summary.filename or "").suffix
    if given:
        return given
    if request.format == "xlsx":
        return ".xlsx"
    return ".csv" if len(request.sheets) == 1 else ".zip"
