"""Walking a workspace's chain: every entry against its seal, every seal against the one before, the head against
the chain, and the heads published outside the database against the chain as it is now.

What each break means:
- ``edited``: the entry's content no longer matches the hash sealed when it was written;
- ``deleted``: a seal names an entry that is gone;
- ``inserted``: an entry no commit of Triad's sealed (written around Triad, e.g. by SQL);
- ``missing``: seals are gone from the chain (its numbers skip);
- ``relinked``: a seal does not follow the one before it (seals rewritten or reordered);
- ``resealed``: a seal's own hash does not match what it says it covers;
- ``truncated``: the chain ends before the head the database recorded (its last entries removed);
- ``rewritten``: a head published earlier is no longer in the chain (the chain was rebuilt since).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from storage.chain import GENESIS, content_hash, link_hash
from storage.models import EvidenceEntry, EvidenceHead, EvidenceSeal
from storage.workspaces import workspace_of

BATCH = 2000  # rows streamed at a time: a chain of millions is walked in constant memory


@dataclass(frozen=True)
class Break:
    kind: str
    seq: int | None = None
    entry_id: int | None = None
    note: str = ""  # the specifics, e.g. which seqs are missing

    def describe(self) -> str:
        where = " ".join(part for part in (f"seq {self.seq}" if self.seq is not None else "",
                                           f"entry {self.entry_id}" if self.entry_id is not None else "") if part)
        return f"{self.kind}: {where}{' — ' + self.note if self.note else ''}".replace(":  —", ": —")


@dataclass(frozen=True)
class PublishedHead:
    seq: int
    hash: str
    published_at: datetime | None = None


@dataclass
class Verification:
    entries: int = 0  # sealed entries walked
    head_seq: int = 0
    head_hash: str = GENESIS
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(session: Session, published: Iterable[PublishedHead] = ()) -> Verification:
    """The unit of work's workspace's chain, walked from its first seal."""
    workspace = workspace_of(session)
    result = Verification()
    wanted = {p.seq: p for p in published}
    expected, previous = 1, GENESIS
    for row in _sealed(session, workspace):
        if row.seq != expected:
            result.breaks.append(Break("missing", row.seq, note=_missing(expected, row.seq - 1)))
        elif row.prev_hash != previous:
            result.breaks.append(Break("relinked", row.seq, row.entry_id,
                                       note="it does not follow the seal before it"))
        if row.hash != link_hash(row.seq, row.prev_hash, row.content_hash):
            result.breaks.append(Break("resealed", row.seq, row.entry_id, note="its hash does not match its content"))
        if row.id is None:
            result.breaks.append(Break("deleted", row.seq, row.entry_id, note="the entry sealed here is gone"))
        elif content_hash(row) != row.content_hash:
            result.breaks.append(Break("edited", row.seq, row.entry_id,
                                       note="its content no longer matches the hash sealed when it was written"))
        if row.seq in wanted and wanted[row.seq].hash != row.hash:
            result.breaks.append(Break("rewritten", row.seq, row.entry_id, note=_published(wanted[row.seq])))
        wanted.pop(row.seq, None)
        result.entries += 1
        result.head_seq, result.head_hash = row.seq, row.hash
        expected, previous = row.seq + 1, row.hash
    for entry_id in _unsealed(session, workspace):
        result.breaks.append(Break("inserted", None, entry_id, note="no commit of Triad's sealed this entry"))
    head = session.get(EvidenceHead, workspace) if workspace is not None else None
    if head is None and result.entries:
        result.breaks.append(Break("rewritten", note="the recorded head is gone"))
    elif head is not None and head.seq > result.head_seq:
        result.breaks.append(Break("truncated", head.seq, note=_missing(result.head_seq + 1, head.seq)))
    elif head is not None and head.seq == result.head_seq and head.hash != result.head_hash:
        result.breaks.append(Break("rewritten", head.seq, note="the recorded head does not match the chain's end"))
    for lost in sorted(wanted.values(), key=lambda p: p.seq):  # published, now beyond the chain's end
        result.breaks.append(Break("truncated", lost.seq, note=_published(lost)))
    return result


def _sealed(session: Session, workspace: int | None) -> Iterator[Any]:
    """Seals in order, each with its entry's columns (NULL when the entry is gone)."""
    query = (select(EvidenceSeal.seq, EvidenceSeal.entry_id, EvidenceSeal.content_hash, EvidenceSeal.prev_hash,
                    EvidenceSeal.hash, *[c for c in EvidenceEntry.__table__.c])
             .outerjoin(EvidenceEntry, EvidenceEntry.id == EvidenceSeal.entry_id)
             .where(EvidenceSeal.organisation_id == workspace).order_by(EvidenceSeal.seq))
    yield from session.execute(query.execution_options(yield_per=BATCH))


def _unsealed(session: Session, workspace: int | None) -> list[int]:
    return list(session.scalars(select(EvidenceEntry.id).where(
        EvidenceEntry.organisation_id == workspace,
        ~exists().where(EvidenceSeal.entry_id == EvidenceEntry.id)).order_by(EvidenceEntry.id)))


def _missing(first: int, last: int) -> str:
    return f"seq {first} is missing" if first == last else f"seqs {first}–{last} are missing"


def _published(head: PublishedHead) -> str:
    when = f" on {head.published_at:%Y-%m-%d %H:%M} UTC" if head.published_at else ""
    return f"the head published{when} ({head.hash[:12]}…) is not in the chain"
