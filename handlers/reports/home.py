"""What reporting adds to App Home: what waits for a person, and the "Report an issue" button."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bot.i18n import plain, shortened, text
from bot.org.people import Actor
from bot.reports import service
from bot.reports.references import action_subject
from bot.reports.timeline import due_datetime
from bot.reports.values import ActionRef, ReportRef
from handlers.reports.labels import whole
from storage.models import ActionStatus, CorrectiveAction, Report, ReportStandard, ReportStatus

HOME_LIMIT = 10


def waiting(session: Session, actor: Actor) -> list[dict[str, Any]]:
    reader, today = actor.reader, service.today(session)
    items: list[dict[str, Any]] = []
    for action in session.scalars(select(CorrectiveAction).where(
            CorrectiveAction.owner_id == actor.id, CorrectiveAction.status == ActionStatus.OPEN)
            .order_by(CorrectiveAction.due_on).limit(HOME_LIMIT)):
        items.append({"text": text(reader, "reports.home.action", subject=action_subject(action),
                                   description=shortened(reader, action.description, 200, whole(action.report)),
                                   due=due_datetime(action.due_on),
                                   overdue=action.due_on < today),
                      "button": {"action_id": "action_done", "value": ActionRef(action.id).encode(),
                                 "label": plain(reader, "reports.button.done")}})
    for action in session.scalars(select(CorrectiveAction).where(
            CorrectiveAction.verifier_id == actor.id, CorrectiveAction.status == ActionStatus.DONE).limit(HOME_LIMIT)):
        items.append({"text": text(reader, "reports.home.verify", subject=action_subject(action),
                                   description=shortened(reader, action.description, 200, whole(action.report))),
                      "button": {"action_id": "report_timeline", "value": ReportRef(action.report_id).encode(),
                                 "label": plain(reader, "reports.button.timeline")}})
    scope: list[ColumnElement[bool]] = (
        [Report.department_id.in_(actor.supervised_departments)] if actor.supervised_departments else [])
    if actor.owned_standards:
        scope.append(Report.standards.any(ReportStandard.standard.in_(actor.owned_standards)))
    if scope or actor.is_manager:
        query = select(Report).where(Report.status == ReportStatus.NEW)
        if not actor.is_manager:
            query = query.where(or_(*scope))
        for report in session.scalars(query.order_by(Report.id).limit(HOME_LIMIT)):
            items.append({"text": text(reader, "reports.home.triage", reference=report.reference,
                                       kind=plain(reader, f"reports.kind.{report.kind.value}"),
                                       description=shortened(reader, report.description, 200, whole(report))),
                          "button": {"action_id": "report_timeline", "value": ReportRef(report.id).encode(),
                                     "label": plain(reader, "reports.button.timeline")}})
    return items


def waiting_for_decision(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Sign-offs that are all a report still needs, more time to approve, effectiveness checks that are due."""
    from bot.reports import closure

    reader, items = actor.reader, []
    if actor.owned_standards:
        for report in session.scalars(select(Report).where(
                Report.status == ReportStatus.CLOSING, Report.standards.any(
                    (ReportStandard.standard.in_(actor.owned_standards)) & ReportStandard.signed_off_at.is_(None)))
                .order_by(Report.id).limit(HOME_LIMIT)):
            if closure.only_sign_offs(report):
                items.append({"text": text(reader, "reports.home.sign_off", reference=report.reference,
                                           description=report.description[:200]),
                              "button": {"action_id": "report_sign_off", "value": ReportRef(report.id).encode(),
                                         "label": plain(reader, "reports.button.sign_off")}})
    if actor.supervised_departments or actor.is_manager or actor.is_admin:
        query = select(CorrectiveAction).join(Report).where(CorrectiveAction.requested_due_on.is_not(None),
                                                            CorrectiveAction.owner_id != actor.id)
        if not (actor.is_manager or actor.is_admin):
            query = query.where(Report.department_id.in_(actor.supervised_departments))
        for action in session.scalars(query.order_by(CorrectiveAction.id).limit(HOME_LIMIT)):
            items.append({"text": text(reader, "reports.home.approve", subject=action_subject(action),
                                       due=due_datetime(action.requested_due_on or action.due_on),
                                       description=action.description[:200]),
                          "button": {"action_id": "action_more_time_approve", "value": ActionRef(action.id).encode(),
                                     "label": plain(reader, "reports.button.approve")}})
    for report in session.scalars(select(Report).where(
            Report.effectiveness_checker_id == actor.id, Report.status == ReportStatus.CLOSED,
            Report.effectiveness_check_on <= service.today(session)).limit(HOME_LIMIT)):
        items.append({"text": text(reader, "reports.home.check", reference=report.reference,
                                   due=due_datetime(report.effectiveness_check_on or service.today(session)),
                                   description=report.description[:200]),
                      "button": {"action_id": "report_still_effective", "value": ReportRef(report.id).encode(),
                                 "label": plain(reader, "reports.button.still_effective")}})
    return items


def buttons(actor: Actor) -> list[dict[str, Any]]:
    return [{"action_id": "home_report", "label": plain(actor.reader, "reports.home.report_button"),
             "style": "primary"}]
