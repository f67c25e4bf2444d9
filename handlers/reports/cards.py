"""The messages of the closed loop that only answer a person, rendered for one reader from prompts/blocks/*.yml.j2:
the timeline, the list of my actions and the card a DM in plain words is answered with.

The cards bot/reports/notify.py sends (the report card, the owner's and the verifier's) are still built in
bot/reports/cards.py, until the Slack side turns what happened into messages.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot.i18n import Reader, plain, render, shortened, text
from bot.org.people import Actor
from bot.reports import service, timeline
from bot.reports.cards import (
    action_subject,
    channel_of,
    place_label,
    risk_label,
    standards_label,
    status_line,
    whole,
)
from bot.reports.kinds import Guess
from bot.reports.service import DESCRIPTION_MAX
from bot.reports.values import ActionRef, Draft
from storage.models import (
    CorrectiveAction,
    Report,
    ReportKind,
)

# --- actions -----------------------------------------------------------------------------------------

def action_list(session: Session, reader: Reader, mine: list[CorrectiveAction], to_verify: list[CorrectiveAction],
                today: date) -> dict[str, Any]:
    def line(a: CorrectiveAction) -> dict[str, Any]:
        return {"value": ActionRef(a.id).encode(), "subject": action_subject(a),
                "description": shortened(reader, a.description, 500, whole(a.report)),
                "type": plain(reader, f"reports.action_type.{a.type.value}"), "due": timeline.due_datetime(a.due_on),
                "overdue_days": (today - a.due_on).days if a.due_on < today else 0}
    return render("action_list", reader, mine=[line(a) for a in mine[:20]], to_verify=[line(a) for a in to_verify[:20]])


# --- timeline ----------------------------------------------------------------------------------------

def timeline_for(session: Session, actor: Actor, report: Report, *, modal: bool) -> dict[str, Any]:
    """The timeline, to someone who may see the report (service.check_visible refuses anyone else)."""
    injury = service.check_visible(session, actor, report)
    return timeline_surface(session, report, actor.reader, modal=modal, injury=injury)


def timeline_surface(session: Session, report: Report, reader: Reader, *, modal: bool,
                     follow: bool = False, injury: bool = False) -> dict[str, Any]:
    """``follow``: shown to the anonymous reporter, with how to answer a question; ``injury``: to someone
    who may see the injury class (permissions.may_see_injury)."""
    entries = timeline.entries(session, report)
    who_took = timeline.actors(session, {e.actor_id for e in entries if e.actor_id})
    lines = [text(reader, "reports.timeline.line", at=e.at, entry=timeline.describe(e, reader, who_took))
             for e in entries]
    actions = [text(reader, "reports.timeline.action", subject=action_subject(a),
                    type=plain(reader, f"reports.action_type.{a.type.value}"),
                    status=plain(reader, f"reports.action_status.{a.status.value}"),
                    due=timeline.due_datetime(a.due_on), description=a.description) for a in report.actions]
    return render("report_timeline", reader, modal=modal, reference=report.reference,
                  kind=plain(reader, f"reports.kind.{report.kind.value}"), description=report.description,
                  status=status_line(session, report, reader),
                  risk=risk_label(reader, report.risk_level, report.likelihood, report.severity, report.kind),
                  injury=plain(reader, f"reports.injury.{report.injury_class.value}")
                  if injury and report.injury_class else None,
                  root_cause=report.root_cause, lines=lines, actions=actions,
                  channel=channel_of(report, reader), follow=follow)


# --- a report guessed from a DM ----------------------------------------------------------------------

DRAFT_TEXT_BLOCK = "draft_text"


def draft_card(session: Session, reader: Reader, description: str, guess: Guess, source: str) -> dict[str, Any]:
    """The answer to a DM in plain words: what Triad understood, to file as is or edit first.

    Every DM gets one, understood or not: without a kind guessed, it asks the kind with a button each.
    The words travel in the card itself (a plain-text block, read back from the pressed message), so
    the buttons' 2,000-character values never cut them; past a report's own limit the card says so.
    """
    words = description.strip()
    draft = Draft(kind=guess.kind, standards=tuple(guess.standards), location_id=guess.location_id, source=source)
    kinds = [{"action_id": f"draft_kind:{kind.value}", "label": plain(reader, f"reports.kind.{kind.value}"),
              "value": replace(draft, kind=kind).encode()} for kind in ReportKind]
    return render("report_draft", reader, description=words[:DESCRIPTION_MAX], text_block=DRAFT_TEXT_BLOCK,
                  cut=len(words) - DESCRIPTION_MAX if len(words) > DESCRIPTION_MAX else 0, limit=DESCRIPTION_MAX,
                  kind=plain(reader, f"reports.kind.{guess.kind.value}") if guess.kind else None,
                  standards=standards_label(reader, guess.standards),
                  place=place_label(session, guess.location_id, None, reader), value=draft.encode(),
                  kinds=[] if guess.kind else kinds,
                  # an incident needs its injury class, asked in the form
                  can_file=guess.kind is not None and guess.kind != ReportKind.INCIDENT,
                  needs_form=guess.kind == ReportKind.INCIDENT)


def draft_text(message: dict[str, Any]) -> str | None:
    """The words a draft card carries, from the message Slack sends with a press (None if absent)."""
    blocks = message.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == DRAFT_TEXT_BLOCK:
            words = block.get("text")
            return str(words.get("text") or "") if isinstance(words, dict) else ""
    return None
