"""How what happens to a report is shown (bot/reports/events.py): its card, its thread, the systems' channels,
the reporter's DMs, and the action owner's and verifier's cards; written to the outbox in the announcing
step's own unit of work.

Outbox keys are derived from the report and the timeline entry that caused the message, so a replayed
step owes nothing twice. Channel posts are in the languages the channel is read in (both where its readers
mix: bot/org/channels.py); DMs in the reader's own. The anonymous reporter is never addressed here: they
follow with their code.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import mrkdwn, outbox
from bot.events import Event
from bot.i18n import Reader, listed, merged, plain, render, safe, shortened, text
from bot.org import channels, people
from bot.reports import events, timeline
from bot.reports.references import action_subject
from bot.reports.values import ReportRef
from handlers import dms
from handlers.reports import cards, nudges
from handlers.reports.labels import channel_of
from storage.models import ActionStatus, CorrectiveAction, EvidenceEntry, Person, Report, Role, Standard


def card_key(report: Report) -> str:
    """The outbox key of the report's card where it is now: a transfer posts it anew (reclassify.py)."""
    return _card_key(report.id, report.card_entry_id)


def _card_key(report_id: int, card_entry_id: int | None) -> str:
    """Keyed by the timeline entry the card was posted on; the first card, on the filing, by the report alone."""
    return f"report:{report_id}:card:{card_entry_id}" if card_entry_id is not None else f"report:{report_id}:card"


def for_channel(session: Session, channel_id: str | None, build: Callable[[Reader], dict[str, Any]]) -> dict[str, Any]:
    """A channel post in each language its readers read, as one message."""
    org = people.organisation(session)
    return merged([build(Reader(lang=lang, tz=org.timezone)) for lang in channels.languages(session, channel_id)])


def _event_text(session: Session, entry: EvidenceEntry, reader: Reader) -> str:
    return timeline.describe(entry, reader, timeline.actors(session, {entry.actor_id} if entry.actor_id else set()))


def filed(session: Session, event: events.ReportFiled) -> None:
    """The card in the triage channel, the owners called into its thread, a line in each standard's channel,
    and the receipt for a named reporter (an anonymous one gets it on screen: handlers/reports/views.py).
    With no channel yet, the receipt says it waits (the administrators are asked: handlers/setup/notices.py)."""
    report, reporter = dms.row(session, Report, event.report_id), event.reporter
    if report.channel_id is not None:
        _post_card(session, report)
    if reporter is not None:
        receipt = (text(reporter.reader, "setup.waiting_receipt", reference=report.reference)
                   if report.channel_id is None else
                   text(reporter.reader, "reports.receipt.named", reference=report.reference,
                        channel=channel_of(report, reporter.reader)))
        outbox.post(session, f"report:{report.id}:receipt", reporter.slack_user_id, {"text": receipt})


def posted_after_waiting(session: Session, event: events.ReportPosted) -> None:
    """A report that waited for a channel is posted now; its named reporter hears where."""
    report = dms.row(session, Report, event.report_id)
    _post_card(session, report)
    if report.reporter_id is not None:
        reporter = dms.person(session, report.reporter_id)
        their = dms.reader_of(session, reporter)
        outbox.post(session, f"report:{report.id}:posted", reporter.slack_user_id, {"text": text(
            their, "setup.released", reference=report.reference, channel=channel_of(report, their))})


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


def step(session: Session, event: events.ReportStepped) -> None:
    """After every step: the card's status and buttons, a reply in its thread, a DM to a named reporter,
    and the DMs that asked for what is no longer needed settled (nudges.py)."""
    report = dms.row(session, Report, event.report_id)
    nudges.settle(session, report)
    _tell(session, report, dms.row(session, EvidenceEntry, event.entry_id), event.reporter_told)


def _tell(session: Session, report: Report, entry: EvidenceEntry, reporter_told: bool) -> None:
    if report.channel_id is not None:  # a report waiting for a channel gets its card, as it is then, once posted
        outbox.update(session, f"{card_key(report)}:{entry.id}", card_key(report),
                      for_channel(session, report.channel_id,
                                  lambda reader: cards.report_card(session, report, reader)))
        outbox.post(session, f"report:{report.id}:event:{entry.id}", report.channel_id,
                    for_channel(session, report.channel_id,
                                lambda reader: {"text": _event_text(session, entry, reader)}),
                    thread_key=card_key(report))
    if not reporter_told or report.reporter_id is None:
        return
    reporter = dms.person(session, report.reporter_id)
    their = dms.reader_of(session, reporter)
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


def escalated(session: Session, event: events.ReportEscalated) -> None:
    """Escalated by hand: each manager, when the domain chose (their working hours, unless urgent)."""
    report, entry = dms.row(session, Report, event.report_id), dms.row(session, EvidenceEntry, event.entry_id)
    for to in event.managers:
        their = dms.reader_for(session, to)
        dms.send(session, to, {"text": text(their, "reports.dm.escalated", reference=report.reference,
                                            entry=_event_text(session, entry, their),
                                            channel=channel_of(report, their))})


# --- corrective actions ----------------------------------------------------------------------------

def _owner_card_key(action: CorrectiveAction, entry: EvidenceEntry) -> str:
    return f"action:{action.id}:card:{entry.id}"


def action_given(session: Session, event: events.ActionGiven) -> None:
    """The owner's DM with Done / Need more time / Can't do (again after a reopen)."""
    action, entry = dms.row(session, CorrectiveAction, event.action_id), dms.row(session, EvidenceEntry, event.entry_id)
    owner = dms.person(session, action.owner_id)
    outbox.post(session, _owner_card_key(action, entry), owner.slack_user_id,
                cards.action_card(session, action, dms.reader_of(session, owner)))


def _refresh_latest(session: Session, action: CorrectiveAction, card: str, posted_on: tuple[str, ...],
                    person_id: int, render_card: Callable[[Reader], dict[str, Any]]) -> None:
    """Update the newest DM card of an action, so its buttons match the action's state.

    Cards are keyed by the timeline entry that posted them (``posted_on``: its kinds), so the newest
    card's key follows from the timeline, and the update's from the entry just recorded.
    """
    posted, newest = session.execute(select(
        func.max(EvidenceEntry.id).filter(EvidenceEntry.kind.in_(posted_on)), func.max(EvidenceEntry.id),
    ).where(EvidenceEntry.report_id == action.report_id, EvidenceEntry.action_id == action.id)).one()
    person = session.get(Person, person_id)
    if posted is None or person is None:
        return
    latest = f"action:{action.id}:{card}:{posted}"
    outbox.update(session, f"{latest}:update:{newest}", latest, render_card(dms.reader_of(session, person)))


def action_changed(session: Session, event: events.ActionChanged) -> None:
    """Refresh the owner's latest action card (posted on assignment and on each reopening)."""
    action = dms.row(session, CorrectiveAction, event.action_id)
    _refresh_latest(session, action, "card", ("action_assigned", "action_reopened"), action.owner_id,
                    lambda reader: cards.action_card(session, action, reader))


def verification_settled(session: Session, event: events.VerificationSettled) -> None:
    """The verifier decided: their DM card (posted when the action was done) shows the outcome."""
    action = dms.row(session, CorrectiveAction, event.action_id)
    _refresh_latest(session, action, "verify", ("action_done",), action.verifier_id,
                    lambda reader: cards.verify_card(session, action, reader))


def verification_asked(session: Session, event: events.VerificationAsked) -> None:
    action = dms.row(session, CorrectiveAction, event.action_id)
    verifier = dms.person(session, action.verifier_id)
    outbox.post(session, f"action:{action.id}:verify:{event.entry_id}", verifier.slack_user_id,
                cards.verify_card(session, action, dms.reader_of(session, verifier)))


# --- reclassified or transferred (bot/reports/reclassify.py) --------------------------------------------

def transferred(session: Session, event: events.ReportTransferred) -> None:
    """The card moves to the report's new channel; the old card says where it went and keeps no buttons.
    All its standards' owners are called into the new thread (the people there are new to it)."""
    report, entry = dms.row(session, Report, event.report_id), dms.row(session, EvidenceEntry, event.entry_id)
    new_channel = report.channel_id
    assert new_channel is not None  # a report waiting for a channel has no card to move
    old = _card_key(report.id, event.old_card_entry_id)

    def moved(reader: Reader) -> dict[str, Any]:  # blocks given: Slack would keep the old buttons
        words = str(text(reader, "reports.card.moved", reference=report.reference,
                         channel=safe(mrkdwn.channel(new_channel))))
        return {"text": words, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": words}}]}

    outbox.update(session, f"{old}:moved:{entry.id}", old, for_channel(session, event.old_channel, moved))
    outbox.post(session, card_key(report), new_channel,
                for_channel(session, new_channel, lambda reader: cards.report_card(session, report, reader)))
    _call_owners(session, report, entry, [tag.standard for tag in report.standards],
                 new=[s for s in entry.detail.get("added") or []])


def owners_called_in(session: Session, event: events.OwnersCalledIn) -> None:
    _call_owners(session, dms.row(session, Report, event.report_id), dms.row(session, EvidenceEntry, event.entry_id),
                 list(event.standards))


def _call_owners(session: Session, report: Report, entry: EvidenceEntry, standards: list[Standard],
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


NOTICES: dict[type[Event], Callable[[Session, Any], None]] = {
    events.ReportFiled: filed, events.ReportPosted: posted_after_waiting, events.ReportStepped: step,
    events.ReportEscalated: escalated, events.ReportTransferred: transferred, events.OwnersCalledIn: owners_called_in,
    events.ActionGiven: action_given, events.ActionChanged: action_changed,
    events.VerificationAsked: verification_asked, events.VerificationSettled: verification_settled,
}
