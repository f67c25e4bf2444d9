"""A procedure's DM card and the reading form, in the reader's language: what a version says, what changed since
the version they acknowledged, and how they acknowledge it."""
from __future__ import annotations

import difflib
from typing import Any

from markupsafe import Markup

from bot import mrkdwn
from bot.i18n import Reader, plain, render, text
from bot.procedures.acks import attestation
from bot.procedures.values import VersionRef
from bot.reports.timeline import due_datetime
from storage.models import Acknowledgment, ProcedureVersion

CHANGED_LINES_SHOWN = 12


def summary_changes(reader: Reader, before: ProcedureVersion, after: ProcedureVersion) -> str:
    """The summary's lines added and removed since ``before``, each marked; empty when it is the same."""
    old, new = before.summary(reader.lang).splitlines(), after.summary(reader.lang).splitlines()
    lines = []
    for line in difflib.ndiff(old, new):
        if line[:2] in ("+ ", "- ") and line[2:].strip():
            key = "procedures.card.added" if line[0] == "+" else "procedures.card.removed"
            lines.append(str(text(reader, key, line=line[2:].strip())))
    if not lines:
        return ""
    return str(text(reader, "procedures.card.summary_changes", lines=Markup("\n".join(lines[:CHANGED_LINES_SHOWN]))))


def changes(reader: Reader, version: ProcedureVersion, since: ProcedureVersion | None) -> str:
    """For a revision: the change note, and the summary's changes since the version they last acknowledged."""
    if since is None or since.id == version.id:
        return ""
    note = version.change_note(reader.lang) or ""
    parts = [str(text(reader, "procedures.card.changes", since=since.version, note=note))]
    summary = summary_changes(reader, since, version)
    if summary:
        parts.append(summary)
    return "\n".join(parts)


def card(reader: Reader, version: ProcedureVersion, ack: Acknowledgment | None, *, since: ProcedureVersion | None,
         state: str = "owed", settled: str = "") -> dict[str, Any]:
    """``state`` owed: the buttons; else ``settled`` says why there are none."""
    due = ack.due_on if ack is not None else version.effective_on
    reason = ack.reason if ack is not None else "published"
    return render("procedure_card", reader, code=version.procedure.code, title=version.title(reader.lang),
                  version=version.version, effective=due_datetime(version.effective_on), due=due_datetime(due),
                  reason=plain(reader, f"procedures.reason.{reason}"), changes=changes(reader, version, since),
                  summary=mrkdwn.escape(version.summary(reader.lang)), state=state, settled=settled,
                  attestation=attestation(reader, version), questions=len(version.questions),
                  url=version.document_url, value=VersionRef(version.id).encode())


READING_FORM = "procedure_reading_submit"


def reading_form(reader: Reader, version: ProcedureVersion, since: ProcedureVersion | None) -> dict[str, Any]:
    questions = [{"prompt": q.prompt(reader.lang), "choices": [q.choice(i, reader.lang) for i in range(len(q.choices))]}
                 for q in version.questions]
    return render("procedure_reading", reader, callback_id=READING_FORM, metadata=VersionRef(version.id).encode(),
                  code=version.procedure.code, title=version.title(reader.lang), version=version.version,
                  changes=changes(reader, version, since), summary=mrkdwn.escape(version.summary(reader.lang)),
                  url=version.document_url, questions=questions, attestation=attestation(reader, version))
