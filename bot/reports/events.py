"""What happens to a report and its actions, announced (bot/events.py) for the Slack side to show
(handlers/reports/notices.py: cards and replies; handlers/reports/nudges.py: the DMs that ask someone to act).

Where the domain decides who is told, when, and under which outbox key (the keys follow from the report
and the timeline entry, so a replayed step owes nothing twice, and asks.py finds the asks again), the event
carries it as a ``Dm``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.events import Dm, Event, announce
from bot.org.people import Actor
from storage.models import EvidenceEntry, Report, Standard


@dataclass(frozen=True)
class ReportFiled(Event):
    """Its card in its channel, owners called in, each system's channel told; the named reporter's receipt
    (``reporter`` None: anonymous, answered on screen). With no channel yet, only the receipt says it waits."""

    report_id: int
    entry_id: int
    reporter: Actor | None


@dataclass(frozen=True)
class ReportPosted(Event):
    """A report that waited for a channel has one now: its card goes there, its named reporter hears where."""

    report_id: int


@dataclass(frozen=True)
class ReportStepped(Event):
    """After every step: the card shows it, its thread hears of it, and so does a named reporter if
    ``reporter_told``; the asks it settled (asks.py) are settled."""

    report_id: int
    entry_id: int
    reporter_told: bool


@dataclass(frozen=True)
class ReportEscalated(Event):
    """Escalated by hand: each manager is told."""

    report_id: int
    entry_id: int
    managers: tuple[Dm, ...]


@dataclass(frozen=True)
class ReportTransferred(Event):
    """Reclassified to another channel: the card moves there (``old_card_entry_id``: the entry its old card
    was posted on, None for the filing) and every owner of its systems is called into the new thread."""

    report_id: int
    entry_id: int
    old_channel: str
    old_card_entry_id: int | None


@dataclass(frozen=True)
class OwnersCalledIn(Event):
    """Newly tagged systems: their owners are called into the report's thread, their channels told."""

    report_id: int
    entry_id: int
    standards: tuple[Standard, ...]


@dataclass(frozen=True)
class ActionGiven(Event):
    """An action assigned, or reopened: its owner gets it to do."""

    action_id: int
    entry_id: int


@dataclass(frozen=True)
class ActionChanged(Event):
    """The owner's latest card of the action shows its state."""

    action_id: int


@dataclass(frozen=True)
class VerificationAsked(Event):
    """An action done: its verifier is asked to verify it."""

    action_id: int
    entry_id: int


@dataclass(frozen=True)
class VerificationSettled(Event):
    """The verifier decided (or the action was reopened): their card shows the outcome."""

    action_id: int


# --- asked, reminded, escalated (followup.py, overdue.py, more_time.py, effectiveness.py) --------------

@dataclass(frozen=True)
class WaitingNudged(Event):
    """What the report waits for (``reason``) asked of someone, reminded or escalated (``stage``);
    ``reminded``: who was asked before them; ``may_sign_off``: the DM offers Sign off."""

    to: Dm
    report_id: int
    reason: str
    stage: str
    since: datetime
    reminded: tuple[int, ...]
    may_sign_off: bool


@dataclass(frozen=True)
class UrgentAlerted(Event):
    """An injury or a critical risk (``why``): told at once, whatever the hour."""

    to: Dm
    report_id: int
    why: str


@dataclass(frozen=True)
class ActionDeclined(Event):
    """Can't do: someone who may assign a new action is asked to."""

    to: Dm
    action_id: int
    entry_id: int


@dataclass(frozen=True)
class EscalatedReportRejected(Event):
    """A report escalated to a manager was rejected: they hear why."""

    to: Dm
    report_id: int
    entry_id: int


@dataclass(frozen=True)
class ActionOverdue(Event):
    """An overdue action: its owner reminded."""

    to: Dm
    action_id: int


@dataclass(frozen=True)
class OverdueEscalated(Event):
    """An overdue action, ``days`` late: someone up the chain told."""

    to: Dm
    action_id: int
    days: int


@dataclass(frozen=True)
class MoreTimeAsked(Event):
    """More time on a high risk, asked of someone (``reminder``: again); ``approvers``: set when it is
    escalated to someone other than the approvers, who are named; ``may_decide``: the DM offers the decision."""

    to: Dm
    action_id: int
    request_entry_id: int
    reminder: bool
    approvers: tuple[int, ...] | None
    may_decide: bool


@dataclass(frozen=True)
class MoreTimeDecided(Event):
    """The owner hears whether they got more time."""

    to: Dm
    action_id: int
    entry_id: int


@dataclass(frozen=True)
class EffectivenessCheckDue(Event):
    """A closed report's fix is checked again: the checker asked (or reminded, or someone above told)."""

    to: Dm
    report_id: int


# Timeline entries the reporter hears about (the filing itself is answered with the receipt).
REPORTER_HEARS = frozenset({
    "acknowledged", "risk_assessed", "action_assigned", "action_done", "action_verified", "rejected",
    "escalated", "question", "closing", "closed", "reclassified", "reopened",
})


def reporter_told(report: Report, entry: EvidenceEntry) -> bool:
    """A named reporter hears of the steps others take that matter to them; of an action given to them, its card
    (sent to them anyway) says it all."""
    if report.reporter_id is None or entry.kind not in REPORTER_HEARS or entry.actor_id == report.reporter_id:
        return False
    return not (entry.kind == "action_assigned" and any(a.id == entry.action_id and a.owner_id == report.reporter_id
                                                        for a in report.actions))


def stepped(session: Session, report: Report, entry: EvidenceEntry) -> None:
    """Announce the step just recorded in the report's timeline."""
    announce(session, ReportStepped(report.id, entry.id, reporter_told(report, entry)))
