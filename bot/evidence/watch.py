"""The chain verified on a schedule: a break found is recorded in the log and the administrators are told once
(a new finding, not the same one every six hours)."""
from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from bot.events import announce
from bot.evidence import heads
from bot.evidence import log as evidence
from bot.evidence.events import ChainBroken
from bot.evidence.verify import Verification, verify
from bot.org import people, working_hours
from bot.runtime import Runtime
from storage.models import AppSetting
from storage.workspaces import workspace_of

SHOWN = 10  # breaks named in the alert; the rest are counted (``python -m bot evidence verify`` lists all)


def verify_job(runtime: Runtime) -> None:
    with runtime.db.read() as s:
        workspace = workspace_of(s)
        result = verify(s, heads.read_file(runtime.settings.evidence_heads_file, workspace))
    if not result.intact:
        with runtime.db.session() as s:
            alert(s, result)


def alert(session: Session, result: Verification) -> bool:
    """Record the finding and tell the administrators, unless this very finding was told before."""
    finding = hashlib.sha256("\n".join(b.describe() for b in result.breaks).encode()).hexdigest()
    key = f"evidence.break_told.{workspace_of(session)}"
    told = session.get(AppSetting, key)
    if told is not None and told.value == finding:
        return False
    shown = tuple((b.kind, b.seq, b.entry_id) for b in result.breaks[:SHOWN])
    entry = evidence.append(session, "evidence", "break_found", detail={
        "count": len(result.breaks), "breaks": [list(b) for b in shown], "finding": finding})
    for admin in people.administrators(session):
        announce(session, ChainBroken(working_hours.dm_in_hours(
            session, f"evidence:{entry.organisation_id}:break:{entry.id}:{admin.id}", admin),
            len(result.breaks), shown))
    if told is None:
        session.add(AppSetting(key=key, value=finding))
    else:
        told.value = finding
    return True

