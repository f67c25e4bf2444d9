"""What stands between a report whose actions are all verified and its closure."""
from __future__ import annotations

from bot.reports import risk
from storage.models import Report, Standard


def gaps(report: Report) -> list[tuple[str, Standard | None]]:
    """("root_cause", None) while a needed root cause is missing; ("sign_off", standard) per owner still to sign."""
    missing: list[tuple[str, Standard | None]] = []
    if risk.needs_root_cause(report.kind, report.risk_level) and not report.root_cause:
        missing.append(("root_cause", None))
    if len(report.standards) > 1:
        missing.extend(("sign_off", tag.standard) for tag in report.standards if tag.signed_off_at is None)
    return missing
