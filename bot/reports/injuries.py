"""Injury classes as the injury statistics count them, so a later digest reads them straight.

TRIR (total recordable incident rate) counts recordable cases per 200,000 hours worked: anything
beyond first aid. LTIFR (lost-time injury frequency rate) counts lost-time cases per 1,000,000
hours: days away from work, and fatalities. An incident with no injury (property damage, a fire, a
release to the environment) counts in neither, but is an incident all the same.
"""
from __future__ import annotations

from storage.models import InjuryClass

RECORDABLE = frozenset({InjuryClass.MEDICAL_TREATMENT, InjuryClass.RESTRICTED_WORK, InjuryClass.LOST_TIME,
                        InjuryClass.FATALITY})
LOST_TIME = frozenset({InjuryClass.LOST_TIME, InjuryClass.FATALITY})


def someone_hurt(injury: InjuryClass | None) -> bool:
    return injury is not None and injury != InjuryClass.NONE


def is_recordable(injury: InjuryClass | None) -> bool:
    return injury in RECORDABLE


def is_lost_time(injury: InjuryClass | None) -> bool:
    return injury in LOST_TIME
