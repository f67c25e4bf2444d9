"""The evidence chain: each committed entry sealed with a hash over its content and the previous seal's hash.

Sealing happens at commit, for every evidence entry the unit of work inserted through the ORM, so nothing written
by Triad escapes it and anything written around it (an INSERT by hand) stands out unsealed. The workspace's head
row is locked only then, as the unit's last step: a commit that holds it waits for no other lock, so seals take
turns without ever deadlocking with a report or counter lock taken earlier.

``content`` is the canonical serialisation an auditor can recompute: JSON with sorted keys, no spaces, UTF-8.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models.evidence import EvidenceEntry, EvidenceHead, EvidenceSeal

GENESIS = "0" * 64  # the previous hash of a workspace's first seal
VERSION = 1  # of the serialisation below; a change would seal new entries with a new version, never rewrite old
_UNSEALED = "triad.evidence_unsealed"  # session.info: entries inserted by this unit of work, in order


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(entry: EvidenceEntry) -> bytes:
    """The entry as the bytes its seal covers."""
    fields: dict[str, Any] = {
        "v": VERSION, "id": entry.id, "workspace": entry.organisation_id,
        "written_at": _moment(entry.written_at), "stated_at": _moment(entry.stated_at),
        "backdated": bool(entry.backdated), "actor": entry.actor_id, "domain": entry.domain, "kind": entry.kind,
        "subject": entry.subject, "report": entry.report_id, "action": entry.action_id,
        "corrects": entry.corrects_id, "detail": entry.detail or {},
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_hash(entry: EvidenceEntry) -> str:
    return hashlib.sha256(content(entry)).hexdigest()


def link_hash(seq: int, prev_hash: str, entry_hash: str) -> str:
    return hashlib.sha256(f"{seq}:{prev_hash}:{entry_hash}".encode()).hexdigest()


@event.listens_for(Session, "after_flush")
def _note_new_entries(session: Session, _context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, EvidenceEntry)]
    if new:
        session.info.setdefault(_UNSEALED, []).extend(sorted(new, key=lambda e: e.id))


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    session.flush()
    entries = [e for e in session.info.pop(_UNSEALED, []) if inspect(e).persistent]  # not rolled back
    if not entries:
        return
    by_workspace: dict[int, list[EvidenceEntry]] = {}
    for entry in entries:
        by_workspace.setdefault(entry.organisation_id, []).append(entry)
    connection = session.connection()  # Core: the head row must not come from (or land in) the identity map
    for workspace, written in sorted(by_workspace.items()):
        seq, last = _locked_head(connection, workspace)
        seals = []
        for entry in written:
            seq += 1
            entry_hash = content_hash(entry)
            last_before, last = last, link_hash(seq, last, entry_hash)
            seals.append({"entry_id": entry.id, "organisation_id": workspace, "seq": seq,
                          "content_hash": entry_hash, "prev_hash": last_before, "hash": last})
        connection.execute(insert(EvidenceSeal), seals)
        connection.execute(update(EvidenceHead).where(EvidenceHead.organisation_id == workspace)
                           .values(seq=seq, hash=last))


def _locked_head(connection: Connection, workspace: int) -> tuple[int, str]:
    """The workspace's last seq and hash, its row locked until commit; a workspace's first seal creates it."""
    query = select(EvidenceHead.seq, EvidenceHead.hash).where(EvidenceHead.organisation_id == workspace)
    head = connection.execute(query.with_for_update()).first()
    if head is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(EvidenceHead).values(organisation_id=workspace, seq=0, hash=GENESIS)
                           .on_conflict_do_nothing())  # two first seals at once: one creates it, both lock it
        head = connection.execute(query.with_for_update()).one()
    return head.seq, head.hash


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_UNSEALED, None)
