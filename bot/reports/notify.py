"""Who is told what after each step, enqueued in the step's own unit of work.

Outbox keys are derived from the report and the timeline entry that caused the message, so a
replayed step owes nothing twice. Channel posts are in the languages the channel is read in (both
where its readers mix: bot/org/channels.py); DMs in the reader's own. The anonymous reporter is
never addressed here: they follow with their code.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import clock, mrkdwn, outbox
from bot.i18n import Reader, listed, merged, plain, render, safe, shortened, text
from bot.org import channels, people, working_hours
from bot.reports import asks, cards, timeline
from bot.reports.cards import action_subject
from bot.reports.values import ReportRef
from storage.models import (
    ActionStatus,
    CorrectiveAction,
    OutboxMessage,
    Person,
    Report,
    ReportEvent,
    RiskLevel,
    Role,
    Standard,
)

# Timeline entries the reporter hears about (the filing itself is answered with the receipt).
REPORTER_HEARS = frozenset({
    "acknowledged", "risk_assessed", "action_assigned", "action_done", "action_verified", "rejected",
    "escalated", "question", "closing", "closed", "reclassified", "reopened",
})


def card_key(report: Report) -> str:
    """The outbox key of the report's card where it is now: a transfer posts it anew (reclassify.py)."""
    if report.card_entry_id is not None:
        return f"report:{report.id}:card:{report.card_entry_id}"
    return f"report:{report.id}:card"


def for_channel(session: Session, channel_id: str | None, build: Callable[[Reader], dict[str, Any]]) -> dict[str, Any]:
    """A channel post in each language its readers read, as one message."""
    org = people.organisation(session)
    return merged([build(Reader(lang=lang, tz=org.timezone)) for lang in channels.languages(session, channel_id)])


def urgent_alert(report: Report) -> bool:
    """An urgent safety alert, sent whatever the hour: an injury, or a critical risk (assessed, else estimated)."""
    return report.injury_class is not None or RiskLevel.CRITICAL in (report.risk_level, report.severity_estimate)


def dm_in_hours(session: Session, key: str, person: Person, message: dict[str, Any], *, urgent: bool = False) -> None:
    """A DM held until its reader's next working moment, unless urgent (an injury, a critical risk)."""
    not_before = None if urgent else working_hours.next_working_moment(session, person, clock.now())
    outbox.post(session, key, person.slack_user_id, message, not_before=not_before)


def reader_of(session: Session, person: Person) -> Reader:
    return people.actor_of(person, people.organisation(session)).reader


def _event_text(session: Session, entry: ReportEvent, reader: Reader) -> str:
    return timeline.describe(entry, reader, timeline.actors(session, {entry.actor_id} if entry.actor_id else set()))


def filed(session: Session, report: Report, entry: ReportEvent, reporter: people.Actor | None) -> None:
    """The card in the triage channel, the owners called into its thread, a line in each standard's channel,
    and the receipt for a named reporter (an anonymous one gets it on screen: handlers/reports/views.py)."""
    if report.channel_id is None:  # no channel to post it in yet: the administrators are asked to choose one
        ask_admins(session, report)
        if reporter is not None:
            outbox.post(session, f"report:{report.id}:receipt", reporter.slack_user_id, {"text": text(
                reporter.reader, "setup.waiting_receipt", reference=report.reference)})
        return
    _post_card(session, report)
    if reporter is not None:
        outbox.post(session, f"report:{report.id}:receipt", reporter.slack_user_id, {"text": text(
            reporter.reader, "reports.receipt.named", reference=report.reference,
            channel=cards.channel_of(report, reporter.reader))})


def posted_after_waiting(session: Session, report: Report) -> None:
    """A report that waited for a channel is posted now; its named reporter hears where."""
    _post_card(session, report)
    if report.reporter_id is not None:
        reporter = session.get(Person, report.reporter_id)
        assert reporter is not None
        their = reader_of(session, reporter)
        outbox.post(session, f"report:{report.id}:posted", reporter.slack_user_id, {"text": text(
            their, "setup.released", reference=report.reference, channel=cards.channel_of(report, their))})


def ask_admins(session: Session, report: Report) -> None:
    """A DM to each administrator, with the button to the set-up page: once per report and person, in their
    working hours unless the report is urgent (an injury, a critical risk). Reminders: bot/org/waiting.py."""
    for admin in people.administrators(session):
        dm_in_hours(session, f"report:{report.id}:ask_admin:{admin.id}", admin,
                    render("setup_ask", reader_of(session, admin), reference=report.reference, days=0, count=1),
                    urgent=urgent_alert(report))


def remind_admin(session: Session, admin: Person, reports: list[Report], days: int, day: date) -> bool:
    """The day's one reminder to an administrator of the reports still waiting (the oldest named); False when
    that day's was already owed."""
    key = f"setup:waiting:{admin.id}:{day.isoformat()}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return False
    outbox.post(session, key, admin.slack_user_id, render("setup_ask", reader_of(session, admin),
                                                          reference=reports[0].reference, days=days,
                                                          count=len(reports)))
    return True


def _post_card(session: Session, report: Report) -> None:
    """The card in its channel, the owners called into its thread, a line in each standard's channel."""
    org = people.organisation(session)
    channel_id = report.channel_id
    assert channel_id is not None
    outbox.post(session, card_key(report), channel_id,
                for_channel(session, channel_id, lambda reader: cards.report_card(session, report, reader)))
    outbox.post(session, f"report:{report.id}:owners", channel_id,
                for_channel(session, channel_id, _owners_call(session, [tag.standard for tag in report.standards])),
                thread_key=card_key(report))
    for tag in report.standards:
        channel = org.channel_for(tag.standard)
        if channel and channel != report.channel_id:
            outbox.post(session, f"report:{report.id}:standard:{tag.standard.value}", channel,
                        for_channel(session, channel, _standard_line(report, "reports.standard_line")))


def _owners_call(session: Session, standards: list[Standard]) -> Callable[[Reader], dict[str, Any]]:
    """The owners of these standards called into a report's thread, in a reader's language."""
    owners = [(standard, people.people_with_role(session, Role.OWNER, standard=standard)) for standard in standards]

    def build(reader: Reader) -> dict[str, Any]:
        lines = [text(reader, "reports.thread.owner_line", standard=plain(reader, f"common.standard.{standard.value}"),
                      owners=safe(listed(reader, (mrkdwn.mention(p.slack_user_id) for p in persons))) if persons
                      else text(reader, "reports.nobody")) for standard, persons in owners]
        return {"text": "\n".join([text(reader, "reports.thread.owners_heading"), *lines])}
    return build


def _standard_line(report: Report, key: str) -> Callable[[Reader], dict[str, Any]]:
    """A system's channel told of a report it concerns, with the way to its card."""
    assert report.channel_id is not None
    where = safe(mrkdwn.channel(report.channel_id))
    return lambda reader: {"text": text(reader, key, reference=report.reference,
                                        kind=plain(reader, f"reports.kind.{report.kind.value}"),
                                        description=shortened(reader, report.description, 150, where),
                                        channel=where)}


def step(session: Session, report: Report, entry: ReportEvent) -> None:
    """After every step: the card's status and buttons, a reply in its thread, a DM to a named reporter,
    and the DMs that asked for what is no longer needed settled (asks.py)."""
    asks.settle(session, report)
    _tell(session, report, entry)


def _tell(session: Session, report: Report, entry: ReportEvent) -> None:
    if report.channel_id is not None:  # a report waiting for a channel gets its card, as it is then, once posted
        outbox.update(session, f"{card_key(report)}:{entry.id}", card_key(report),
                      for_channel(session, report.channel_id,
                                  lambda reader: cards.report_card(session, report, reader)))
        outbox.post(session, f"report:{report.id}:event:{entry.id}", report.channel_id,
                    for_channel(session, report.channel_id,
                                lambda reader: {"text": _event_text(session, entry, reader)}),
                    thread_key=card_key(report))
    if report.reporter_id is None or entry.kind not in REPORTER_HEARS or entry.actor_id == report.reporter_id:
        return
    if entry.kind == "action_assigned" and any(a.id == entry.action_id and a.owner_id == report.reporter_id
                                               for a in report.actions):
        return  # the reporter owns the action: its card, sent to them anyway, says it all
    reporter = session.get(Person, report.reporter_id)
    assert reporter is not None
    their = reader_of(session, reporter)
    update = text(their, "reports.dm.update", reference=report.reference, entry=_event_text(session, entry, their))
    if entry.kind == "closed":
        update = safe(f"{update}\n{outcome(report, their)}")
    message = (render("report_question", their, report_id=report.id, value=ReportRef(report.id).encode(),
                      text=update) if entry.kind == "question"
               else {"text": update})
    outbox.post(session, f"report:{report.id}:event:{entry.id}:reporter", reporter.slack_user_id, message)


def outcome(report: Report, reader: Reader) -> Markup:
    """What the reporter learns when their report closes: what was done about it, and why it happened."""
    done = [text(reader, "reports.dm.outcome_action", subject=action_subject(a),
                 type=plain(reader, f"reports.action_type.{a.type.value}"), description=a.description)
            for a in report.actions if a.status == ActionStatus.VERIFIED]
    return text(reader, "reports.dm.outcome", actions=safe("\n".join(done)), root_cause=report.root_cause or "")


def escalated(session: Session, report: Report, entry: ReportEvent, managers: list[Person]) -> None:
    """Escalated by hand: each manager in their working hours, unless the report is urgent."""
    for manager in managers:
        their = reader_of(session, manager)
        dm_in_hours(session, f"report:{report.id}:escalated:{manager.id}", manager, {"text": text(
            their, "reports.dm.escalated", reference=report.reference, entry=_event_text(session, entry, their),
            channel=cards.channel_of(report, their))}, urgent=urgent_alert(report))


# --- corrective actions ----------------------------------------------------------------------------

def _owner_card_key(action: CorrectiveAction, entry: ReportEvent) -> str:
    return f"action:{action.id}:card:{entry.id}"


def action_card(session: Session, action: CorrectiveAction, entry: ReportEvent) -> None:
    """The owner's DM with Done / Need more time / Can't do (again after a reopen)."""
    owner = session.get(Person, action.owner_id)
    assert owner is not None
    outbox.post(session, _owner_card_key(action, entry), owner.slack_user_id,
                cards.action_card(session, action, reader_of(session, owner)))


def _refresh_latest(session: Session, action: CorrectiveAction, card: str, posted_on: tuple[str, ...],
                    person_id: int, render_card: Callable[[Reader], dict[str, Any]]) -> None:
    """Update the newest DM card of an action, so its buttons match the action's state.

    Cards are keyed by the timeline entry that posted them (``posted_on``: its kinds), so the newest
    card's key follows from the timeline, and the update's from the entry just recorded.
    """
    posted, newest = session.execute(select(
        func.max(ReportEvent.id).filter(ReportEvent.kind.in_(posted_on)), func.max(ReportEvent.id),
    ).where(ReportEvent.report_id == action.report_id, ReportEvent.action_id == action.id)).one()
    person = session.get(Person, person_id)
    if posted is None or person is None:
        return
    latest = f"action:{action.id}:{card}:{posted}"
    outbox.update(session, f"{latest}:update:{newest}", latest, render_card(reader_of(session, person)))


def action_changed(session: Session, action: CorrectiveAction) -> None:
    """Refresh the owner's latest action card (posted on assignment and on each reopening)."""
    _refresh_latest(session, action, "card", ("action_assigned", "action_reopened"), action.owner_id,
                    lambda reader: cards.action_card(session, action, reader))


def verification_settled(session: Session, action: CorrectiveAction) -> None:
    """The verifier decided: their DM card (posted when the action was done) shows the outcome."""
    _refresh_latest(session, action, "verify", ("action_done",), action.verifier_id,
                    lambda reader: cards.verify_card(session, action, reader))


def verify_card(session: Session, action: CorrectiveAction, entry: ReportEvent) -> None:
    verifier = session.get(Person, action.verifier_id)
    assert verifier is not None
    outbox.post(session, f"action:{action.id}:verify:{entry.id}", verifier.slack_user_id,
                cards.verify_card(session, action, reader_of(session, verifier)))


# --- reclassified or transferred (reclassify.py) ----------------------------------------------------

def transferred(session: Session, report: Report, entry: ReportEvent, old_channel: str) -> None:
    """The card moves to the report's new channel; the old card says where it went and keeps no buttons.
    All its standards' owners are called into the new thread (the people there are new to it)."""
    new_channel = report.channel_id
    assert new_channel is not None  # a report waiting for a channel has no card to move
    old = card_key(report)
    report.card_entry_id = entry.id

    def moved(reader: Reader) -> dict[str, Any]:  # blocks given: Slack would keep the old buttons
        words = str(text(reader, "reports.card.moved", reference=report.reference,
                         channel=safe(mrkdwn.channel(new_channel))))
        return {"text": words, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": words}}]}

    outbox.update(session, f"{old}:moved:{entry.id}", old, for_channel(session, old_channel, moved))
    outbox.post(session, card_key(report), new_channel,
                for_channel(session, new_channel, lambda reader: cards.report_card(session, report, reader)))
    owners_called(session, report, entry, [tag.standard for tag in report.standards],
                  new=[s for s in entry.detail.get("added") or []])


def owners_called(session: Session, report: Report, entry: ReportEvent, standards: list[Standard],
                  new: list[str] | None = None) -> None:
    """Owners of these standards called into the report's thread; each newly tagged system's channel told."""
    if report.channel_id is None:  # waiting for a channel: everyone is called in when it is posted
        return
    org = people.organisation(session)
    outbox.post(session, f"report:{report.id}:owners:{entry.id}", report.channel_id,
                for_channel(session, report.channel_id, _owners_call(session, standards)), thread_key=card_key(report))
    added = new if new is not None else [s.value for s in standards]
    for tag in report.standards:
        channel = org.channel_for(tag.standard)
        if tag.standard.value in added and channel and channel != report.channel_id:
            outbox.post(session, f"report:{report.id}:standard:{tag.standard.value}:{entry.id}", channel,
                        for_channel(session, channel, _standard_line(report, "reports.standard_line_reclassified")))
