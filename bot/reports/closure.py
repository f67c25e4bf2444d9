"""What stands between a report whose actions are all verified and its closure."""
from __future__ import annotations

from bot.reports import risk
from storage.models import ActionStatus, ActionType, Report, ReportStatus, Standard

# Actions that remove a cause (ISO 9001/14001/45001 10.2), not only its effects.
CAUSE_REMOVING = (ActionType.CORRECTIVE, ActionType.PREVENTIVE)


def gaps(report: Report) -> list[tuple[str, Standard | None]]:
    """What is still missing, as (gap, standard): "root_cause" where the cause must be found (incidents,
    defects, high and critical risks); "corrective_action" where a cause is, or must be, known: a root
    cause recorded without a verified action that removes it does not close anything; "sign_off" per
    owner still to sign when several standards are tagged."""
    missing: list[tuple[str, Standard | None]] = []
    needs_cause = risk.needs_root_cause(report.kind, report.risk_level)
    if needs_cause and not report.root_cause:
        missing.append(("root_cause", None))
    if (needs_cause or report.root_cause) and not any(
            a.type in CAUSE_REMOVING and a.status == ActionStatus.VERIFIED for a in report.actions):
        missing.append(("corrective_action", None))
    if len(report.standards) > 1:
        missing.extend(("sign_off", tag.standard) for tag in report.standards if tag.signed_off_at is None)
    return missing


def only_sign_offs(report: Report) -> bool:
    """Everything else is done: what remains is the owners' sign-off (the only time it is asked and offered)."""
    missing = gaps(report)
    return bool(missing) and all(gap == "sign_off" for gap, _ in missing)


def waiting_for(report: Report) -> str | None:
    """What the report waits for, and so who is asked (bot/reports/followup.py): triage, action, verify, cause,
    sign_off; None when nothing is owed (closed, rejected, or actions under way)."""
    live = [a for a in report.actions if a.status != ActionStatus.DECLINED]
    if report.status == ReportStatus.NEW:
        return "triage"
    if report.status in (ReportStatus.TRIAGE, ReportStatus.ACTION) and not live:
        return "action"
    if report.status == ReportStatus.ACTION and any(a.status == ActionStatus.DONE for a in live) \
            and not any(a.status == ActionStatus.OPEN for a in live):
        return "verify"
    if report.status == ReportStatus.CLOSING:
        return "sign_off" if only_sign_offs(report) else "cause"
    return None
