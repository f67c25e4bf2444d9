"""Which clauses of ISO 9001:2015, ISO 14001:2015 and ISO 45001:2018 a record serves, for the auditor's export.

The three standards share the Annex SL structure but not every sub-clause: corrective action is 10.2.1 a)-f) in
ISO 9001, 10.2 a)-e) in ISO 14001 and 10.2 a)-g) in ISO 45001, so each step names its clause per standard. A
report serves the clauses of its kind and, for each standard it is tagged to, that standard's clause for the step.
Entries outside reports (set-up, permission decisions, the log's own findings) serve all three systems.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from storage.models import ActionType, ReportKind, Standard

Q, E, S = Standard.QUALITY, Standard.ENVIRONMENT, Standard.SAFETY
ALL = (Q, E, S)
Clause = tuple[Standard, str]  # (ISO 45001, "6.1.2.1")
PerStandard = Mapping[Standard, str]

# -- the steps of the closed loop, per standard --------------------------------------------------------------
NONCONFORMITY = {Q: "10.2", E: "10.2", S: "10.2"}  # incident (45001), nonconformity and corrective action
REACT = {Q: "10.2.1 a)", E: "10.2 a)", S: "10.2 a)"}  # control and correct it, deal with the consequences
ROOT_CAUSE = {Q: "10.2.1 b)", E: "10.2 b)", S: "10.2 b)"}  # evaluate the need for action: determine the causes
IMPLEMENT = {Q: "10.2.1 c)", E: "10.2 c)", S: "10.2 d)"}  # implement the action needed (45001: by the hierarchy)
EFFECTIVENESS = {Q: "10.2.1 d)", E: "10.2 d)", S: "10.2 f)"}  # review the effectiveness of the action taken
RISK_REVIEW = {Q: "10.2.1 e)", E: "6.1.2", S: "10.2 c)"}  # update risks (45001: review the risk assessments)
RETAINED = {Q: "10.2.2", E: "10.2", S: "10.2"}  # documented information retained as evidence of the outcome
RISK_ASSESSMENT = {Q: "6.1.1", E: "6.1.2", S: "6.1.2.2"}  # risks and opportunities; aspects; OH&S risks
ROLES = {Q: "5.3", E: "5.3", S: "5.3"}  # organizational roles, responsibilities and authorities
DOCUMENTED = {Q: "7.5.3", E: "7.5.3", S: "7.5.3"}  # control of documented information (protection, access)
CONSULTATION = {S: "5.4"}  # consultation and participation of workers
HIERARCHY_OF_CONTROLS = {S: "8.1.2"}  # eliminating hazards and reducing OH&S risks
AWARENESS = {Q: "7.3", E: "7.3", S: "7.3"}
COMPETENCE = {Q: "7.2", E: "7.2", S: "7.2"}

# -- what each kind of report is, whatever it is tagged to ---------------------------------------------------
REPORT_KIND: dict[ReportKind, tuple[Clause, ...]] = {
    ReportKind.HAZARD: ((S, "6.1.2.1"), (S, "5.4")),  # hazard identification, reported by workers
    ReportKind.NEAR_MISS: ((S, "6.1.2.1"), (S, "10.2")),  # a near miss is an incident (ISO 45001 3.35)
    ReportKind.INCIDENT: ((S, "10.2"),),
    ReportKind.ENVIRONMENTAL: ((E, "6.1.2"), (E, "8.2")),  # environmental aspects; emergency response (a spill)
    ReportKind.DEFECT: ((Q, "8.7"),),  # control of nonconforming outputs
}
# Hazards are dealt with by planning (6.1) rather than as nonconformities; the rest by 10.2 of each system.
REPORT_TAGGED: dict[ReportKind, PerStandard] = {
    ReportKind.HAZARD: RISK_ASSESSMENT,
    ReportKind.NEAR_MISS: NONCONFORMITY,
    ReportKind.INCIDENT: NONCONFORMITY,
    ReportKind.ENVIRONMENTAL: NONCONFORMITY,
    ReportKind.DEFECT: NONCONFORMITY,
}

ACTION_TYPE: dict[ActionType, tuple[PerStandard, ...]] = {
    ActionType.CONTAINMENT: (REACT,),
    ActionType.CORRECTION: (REACT,),
    ActionType.CORRECTIVE: (IMPLEMENT, EFFECTIVENESS),
    ActionType.PREVENTIVE: (IMPLEMENT, EFFECTIVENESS),
}

# -- each entry of a report's timeline, by its kind (bot/reports/timeline.py) ----------------------------------
REPORT_ENTRY: dict[str, tuple[PerStandard, ...]] = {
    "acknowledged": (REACT,),
    "risk_assessed": (RISK_ASSESSMENT,),
    "residual_risk": (RISK_REVIEW,),
    "action_assigned": (IMPLEMENT, ROLES),
    "action_done": (IMPLEMENT,),
    "action_extended": (IMPLEMENT,),
    "action_declined": (IMPLEMENT,),
    "action_reopened": (EFFECTIVENESS,),
    "action_verified": (EFFECTIVENESS,),
    "more_time_requested": (IMPLEMENT,),
    "more_time_approved": (IMPLEMENT, ROLES),
    "more_time_refused": (IMPLEMENT, ROLES),
    "action_reminded": (IMPLEMENT,),
    "action_overdue_escalated": (IMPLEMENT, ROLES),
    "root_cause": (ROOT_CAUSE,),
    "rejected": (ROOT_CAUSE,),  # evaluated: no action needed
    "reclassified": (ROOT_CAUSE,),
    "reopened": (REACT,),
    "escalated": (ROLES,),
    "urgent_alert": (REACT, ROLES),
    "question": (CONSULTATION, ROOT_CAUSE),
    "answer": (CONSULTATION, ROOT_CAUSE),
    "signed_off": (ROLES, EFFECTIVENESS),
    "sign_off_asked": (ROLES,),
    "sign_offs_cleared": (ROLES,),
    "closing": (RETAINED,),
    "closed": (RETAINED,),
    "effectiveness_scheduled": (EFFECTIVENESS,),
    "effectiveness_due": (EFFECTIVENESS,),
    "effectiveness_confirmed": (EFFECTIVENESS,),
    "effectiveness_failed": (EFFECTIVENESS,),
    "waiting_reminded": (ROLES,),
    "waiting_escalated": (ROLES,),
}

# -- entries of the other domains: the organisation's set-up, permissions, the log itself, later domains -----
OTHER_ENTRY: dict[tuple[str, str], tuple[PerStandard, ...]] = {
    ("org", "org_file_loaded"): (ROLES,),  # every role the file gives
    ("org", "setup.admins"): (ROLES,),
    ("org", "setup.standards"): (ROLES,),  # each system's owners
    ("org", "setup.department"): (ROLES,),  # a department's supervisors
    ("access", "allowed"): (ROLES, DOCUMENTED),
    ("access", "refused"): (ROLES, DOCUMENTED),
    ("evidence", "backdating_burst"): (DOCUMENTED,),
    ("evidence", "break_found"): (DOCUMENTED,),
}
OTHER_DOMAIN: dict[str, tuple[PerStandard, ...]] = {
    "org": (DOCUMENTED,),
    "access": (ROLES, DOCUMENTED),
    "evidence": (DOCUMENTED,),
    "procedures": (DOCUMENTED, AWARENESS),  # a procedure published, read and acknowledged
    "training": (COMPETENCE, AWARENESS),
}


def for_report(kind: ReportKind, standards: Iterable[Standard]) -> tuple[Clause, ...]:
    tagged = _tagged(standards)
    return _unique((*REPORT_KIND[kind], *_each(tagged, (REPORT_TAGGED[kind],))))


def for_action(action_type: ActionType, control: bool, standards: Iterable[Standard]) -> tuple[Clause, ...]:
    """``control``: the action names its level in the hierarchy of controls (ISO 45001 8.1.2)."""
    tagged = _tagged(standards)
    found = _each(tagged, ACTION_TYPE[action_type])
    if control:
        found += _each(tagged, (HIERARCHY_OF_CONTROLS,))
    return _unique(found)


def for_entry(domain: str, kind: str, report_kind: ReportKind | None = None,
              standards: Iterable[Standard] = ()) -> tuple[Clause, ...]:
    """A report's entry serves its report's standards; the filing serves what the report is."""
    if domain == "reports":
        tagged = _tagged(standards)
        if kind == "filed" and report_kind is not None:
            return for_report(report_kind, tagged)
        return _unique(_each(tagged, REPORT_ENTRY.get(kind, (DOCUMENTED,))))
    return _unique(_each(ALL, OTHER_ENTRY.get((domain, kind), OTHER_DOMAIN.get(domain, (DOCUMENTED,)))))


@cache
def shown(clauses: tuple[Clause, ...]) -> str:
    """``ISO 45001 6.1.2.1; ISO 9001/14001/45001 10.2``: one clause once, with every standard it is in."""
    by_clause: dict[str, list[Standard]] = {}
    for standard, clause in clauses:
        by_clause.setdefault(clause, []).append(standard)
    return "; ".join(f"ISO {'/'.join(s.value.removeprefix('iso') for s in sorted(found, key=ALL.index))} {clause}"
                     for clause, found in by_clause.items())


def _tagged(standards: Iterable[Standard]) -> tuple[Standard, ...]:
    given = set(standards)
    return tuple(s for s in ALL if s in given)


def _each(standards: Iterable[Standard], steps: tuple[PerStandard, ...]) -> tuple[Clause, ...]:
    return tuple((s, step[s]) for step in steps for s in standards if s in step)


def _unique(clauses: Iterable[Clause]) -> tuple[Clause, ...]:
    return tuple(dict.fromkeys(clauses))
