"""Publishing the chain's head where the database's owner cannot quietly rewrite it: appended to a file beside
Triad (TRIAD_EVIDENCE_HEADS, one JSON line per publication) each day the head moved, and handed to the
administrators in Slack once a week. Rewriting the whole chain then shows: a head published before no longer
matches the chain (``verify`` reads the file back; an auditor can compare the Slack messages).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot import clock
from bot.events import announce
from bot.evidence.events import HeadPublished
from bot.evidence.verify import PublishedHead
from bot.org import people, working_hours
from bot.runtime import Runtime
from storage.models import AppSetting, EvidenceHead, Organisation
from storage.workspaces import workspace_of

TELL_EVERY = timedelta(days=7)  # how often the administrators are handed the head (when it moved)


def read_file(path: str | Path | None, workspace: int | None) -> list[PublishedHead]:
    """The heads published for this workspace, oldest first; none when there is no file yet."""
    if path is None or workspace is None or not Path(path).exists():
        return []
    found = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            head = json.loads(line)
        except ValueError:
            continue  # a torn last line (a crash mid-write) is not a publication
        if isinstance(head, dict) and head.get("workspace") == workspace:
            found.append(PublishedHead(int(head["seq"]), str(head["hash"]), datetime.fromisoformat(head["at"])))
    return found


def current(session: Session) -> EvidenceHead | None:
    workspace = workspace_of(session)
    return session.get(EvidenceHead, workspace) if workspace is not None else None


def append_to_file(path: str | Path, org: Organisation, head: EvidenceHead, at: datetime) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": at.isoformat(), "workspace": org.id, "team": org.team_id, "seq": head.seq,
                       "hash": head.hash}, sort_keys=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def publish_job(runtime: Runtime) -> None:
    now, path = clock.now(), runtime.settings.evidence_heads_file
    with runtime.db.read() as s:
        head, org = current(s), people.organisation(s)
        if head is None or head.seq == 0:
            return
    published = read_file(path, org.id)
    if path is not None and (not published or published[-1].seq != head.seq):
        append_to_file(path, org, head, now)
    with runtime.db.session() as s:
        tell(s, head, now)


def tell(session: Session, head: EvidenceHead, now: datetime) -> bool:
    """Hand the head to each administrator once a week, when it moved (the first after the chain's first week);
    True when told."""
    key = f"evidence.head_told.{head.organisation_id}"
    told = session.get(AppSetting, key)
    if told is None:  # the first look: the admins get the first head after a week of records
        session.add(AppSetting(key=key, value=json.dumps({"seq": None, "at": now.isoformat()})))
        return False
    last = json.loads(told.value)
    if last["seq"] == head.seq or now - datetime.fromisoformat(last["at"]) < TELL_EVERY:
        return False
    for admin in people.administrators(session):
        announce(session, HeadPublished(working_hours.dm_in_hours(
            session, f"evidence:{head.organisation_id}:head:{head.seq}:{admin.id}", admin), head.seq, head.hash, now))
    told.value = json.dumps({"seq": head.seq, "at": now.isoformat()})
    return True
