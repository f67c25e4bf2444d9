"""The 5 × 5 risk matrix and what follows from a level: due dates of actions, the need for a root cause."""
from __future__ import annotations

from datetime import date, timedelta

from storage.models import ReportKind, RiskLevel

SCALE = range(1, 6)

# Days an action may take by default: the higher the risk, the sooner.
DUE_DAYS = {RiskLevel.CRITICAL: 1, RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 30, RiskLevel.LOW: 90}
UNASSESSED_DUE_DAYS = 14


def level(likelihood: int, severity: int) -> RiskLevel:
    """Likelihood × severity, each 1–5: up to 4 low, up to 9 medium, up to 16 high, 20 and more critical."""
    if likelihood not in SCALE or severity not in SCALE:
        raise ValueError(f"likelihood and severity run from 1 to 5, got {likelihood} and {severity}")
    score = likelihood * severity
    if score <= 4:
        return RiskLevel.LOW
    if score <= 9:
        return RiskLevel.MEDIUM
    if score <= 16:
        return RiskLevel.HIGH
    return RiskLevel.CRITICAL


def default_due(risk: RiskLevel | None, today: date) -> date:
    return today + timedelta(days=DUE_DAYS[risk] if risk else UNASSESSED_DUE_DAYS)


def needs_root_cause(kind: ReportKind, risk: RiskLevel | None) -> bool:
    """Incidents, defects and high or critical risks are not closed on a fix alone: their cause must be known."""
    return kind in (ReportKind.INCIDENT, ReportKind.DEFECT) or risk in (RiskLevel.HIGH, RiskLevel.CRITICAL)
