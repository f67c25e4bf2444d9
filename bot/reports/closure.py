"""What stands between a report whose actions are all verified and its closure."""
from __future__ import annotations

from bot.reports import risk
from storage.models import ActionStatus, ActionType, Report, Standard

# Actions that remove a cause (ISO 9001/14001/45001 10.2), not only its effects.
CAUSE_REMOVING = (ActionType.CORRECTIVE, ActionType.PREVENTIVE)


def gaps(report: Report) -> list[tuple[str, Standard | None]]:
    """What is still missing, as (gap, standard): "root_cause" and "corrective_action" where the cause
    must be found and removed (incidents, defects, high and critical risks); "sign_off" per owner still
    to sign when several standards are tagged."""
    missing: list[tuple[str, Standard | None]] = []
    if risk.needs_root_cause(report.kind, report.risk_level):
        if not report.root_cause:
            missing.append(("root_cause", None))
        if not any(a.type in CAUSE_REMOVING and a.status == ActionStatus.VERIFIED for a in report.actions):
            missing.append(("corrective_action", None))
    if len(report.standards) > 1:
        missing.extend(("sign_off", tag.standard) for tag in report.standards if tag.signed_off_at is None)
    return missing
