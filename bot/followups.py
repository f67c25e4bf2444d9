"""Chains of reminders and escalations that climb until someone acts. No Slack, no texts.

A chain has a key (what it is about, and since which step: a new step starts a new chain), a start,
and stages, each due some working hours after the one before. A sweep asks ``due`` which stages are
owed now; it records them, so each stage is sent once however often the sweep runs. A sweep that
was away (a deploy, the sandbox's ``wait 10d``) catches up on the stages it missed; after the last
stage the chain repeats it every ``repeat_every`` working hours, once per sweep at most, so nothing
waits silently for 400 days.

Each row names the report it is about, so a chain's rows are deleted (``forget``) once what it chases is
settled, and a new chain of the same family (``replaces``: the key's prefix) deletes the one it follows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.hours import WorkingTime
from storage.models import FollowUp


@dataclass(frozen=True)
class Stage:
    name: str
    after: float  # working hours after the previous stage (the first: after the chain starts)


def due(session: Session, key: str, start: datetime, stages: Sequence[Stage], working: WorkingTime, now: datetime,
        *, report_id: int | None, repeat_every: float | None = None,
        replaces: str | None = None) -> list[tuple[Stage, bool]]:
    """The stages owed now, in order, as (stage, is_a_repeat); recorded as sent. ``replaces``: the prefix of
    the chains this one supersedes (the same wait from an earlier step), deleted when it starts."""
    row = session.get(FollowUp, key)
    last, since = (row.stage, row.sent_at) if row else (-1, start)
    owed: list[tuple[Stage, bool]] = []
    while True:
        step = last + 1
        repeat = step >= len(stages)
        if repeat and not (repeat_every and stages):
            break
        after = repeat_every if repeat else stages[step].after
        at = since if not after else working.add_working_hours(since, after)  # 0: at once (DMs still wait)
        if at > now:
            break
        owed.append((stages[-1] if repeat else stages[step], repeat))
        last, since = step, (now if repeat else at)
        if repeat:
            break
    if owed:
        if row is None:
            if replaces and report_id is not None:
                forget(session, report_id, replaces)
            session.add(FollowUp(key=key, stage=last, sent_at=since, report_id=report_id))
        else:
            row.stage, row.sent_at = last, since
        session.flush()
    return owed


def started(session: Session, key: str) -> bool:
    return session.get(FollowUp, key) is not None


def once(session: Session, key: str, now: datetime, *, report_id: int | None) -> bool:
    """True the first time it is asked for a key: for what is sent once and never again (an urgent alert)."""
    if started(session, key):
        return False
    session.add(FollowUp(key=key, stage=0, sent_at=now, report_id=report_id))
    session.flush()
    return True


def forget(session: Session, report_id: int, prefix: str | None = None) -> None:
    """Delete a report's chains (only those whose key starts with ``prefix``): what they chase is settled."""
    rows = delete(FollowUp).where(FollowUp.report_id == report_id)
    if prefix is not None:
        rows = rows.where(FollowUp.key.startswith(prefix, autoescape=True))
    session.execute(rows, execution_options={"synchronize_session": "fetch"})


def forget_chains(session: Session, prefix: str) -> None:
    """Delete the chains whose key starts with ``prefix``: what they chase (not a report's) is settled."""
    session.execute(delete(FollowUp).where(FollowUp.key.startswith(prefix, autoescape=True)),
                    execution_options={"synchronize_session": "fetch"})
