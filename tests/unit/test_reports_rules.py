"""The rules that need no database: the risk matrix, due dates, kinds and guessing from plain words."""
from __future__ import annotations

from datetime import date

import pytest

from bot.reports import kinds, risk
from storage.models import ReportKind, RiskLevel, Standard


@pytest.mark.parametrize("likelihood, severity, level", [
    (1, 1, RiskLevel.LOW), (2, 2, RiskLevel.LOW), (1, 4, RiskLevel.LOW),
    (1, 5, RiskLevel.MEDIUM), (3, 3, RiskLevel.MEDIUM), (2, 4, RiskLevel.MEDIUM),
    (2, 5, RiskLevel.HIGH), (4, 4, RiskLevel.HIGH), (3, 5, RiskLevel.HIGH),
    (4, 5, RiskLevel.CRITICAL), (5, 5, RiskLevel.CRITICAL),
])
def test_the_five_by_five_matrix(likelihood, severity, level):
    assert risk.level(likelihood, severity) == level
    assert risk.level(severity, likelihood) == level


@pytest.mark.parametrize("likelihood, severity", [(0, 3), (6, 1), (3, -1)])
def test_the_matrix_refuses_values_off_the_scale(likelihood, severity):
    with pytest.raises(ValueError):
        risk.level(likelihood, severity)


def test_higher_risk_is_due_sooner():
    today = date(2026, 3, 2)
    days = [(risk.default_due(level, today) - today).days for level in
            (RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)]
    assert days == sorted(days) and days[0] == 1
    assert risk.default_due(None, today) > today


def test_root_cause_is_needed_for_incidents_defects_and_high_risks():
    assert risk.needs_root_cause(ReportKind.INCIDENT, None)
    assert risk.needs_root_cause(ReportKind.DEFECT, RiskLevel.LOW)
    assert risk.needs_root_cause(ReportKind.HAZARD, RiskLevel.HIGH)
    assert risk.needs_root_cause(ReportKind.NEAR_MISS, RiskLevel.CRITICAL)
    assert not risk.needs_root_cause(ReportKind.HAZARD, RiskLevel.MEDIUM)
    assert not risk.needs_root_cause(ReportKind.ENVIRONMENTAL, None)


@pytest.mark.parametrize("words, kind, used", [
    (["hazard", "oil"], ReportKind.HAZARD, 1), (["隐患", "地面有油"], ReportKind.HAZARD, 1),
    (["near", "miss", "forklift"], ReportKind.NEAR_MISS, 2), (["未遂"], ReportKind.NEAR_MISS, 1),
    (["Incident"], ReportKind.INCIDENT, 1), (["环境"], ReportKind.ENVIRONMENTAL, 1),
    (["defect", "burr"], ReportKind.DEFECT, 1), (["质量"], ReportKind.DEFECT, 1),
    (["oil", "leak"], None, 0), ([], None, 0),
])
def test_the_first_words_of_report_choose_the_kind(words, kind, used):
    assert kinds.kind_from_command(words) == (kind, used)


PLACES = [kinds.Place(1, kinds.place_names("press3", "Press line 3", "3号压机线")),
          kinds.Place(2, kinds.place_names("dock", "Loading dock", "装卸区"))]


@pytest.mark.parametrize("text, kind, standards, location", [
    ("oil leaking under press 3", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,), 1),
    ("3号压机下面漏油", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,), 1),
    ("oil on the walkway at the loading dock", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT, Standard.SAFETY), 2),
    ("装卸区通道地面漏油很滑", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT, Standard.SAFETY), 2),
    ("the guard on press line 3 is missing", ReportKind.HAZARD, (Standard.SAFETY,), 1),
    ("burrs on the parts from press 3", ReportKind.DEFECT, (Standard.QUALITY,), 1),
    ("forklift nearly hit me", ReportKind.NEAR_MISS, (Standard.SAFETY,), None),
    ("张师傅手被割伤了", ReportKind.INCIDENT, (Standard.SAFETY,), None),
])
def test_guessing_from_plain_words_in_both_languages(text, kind, standards, location):
    assert kinds.guess(text, PLACES) == kinds.Guess(kind, standards, location)


def test_words_without_a_known_sign_guess_nothing():
    assert kinds.guess("good morning", PLACES).kind is None


# What workers actually write (the trial's DMs among them): the guess must read them as a person would.
WORKER_SENTENCES = [
    ("同事从梯子上摔下来了，脚扭了", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("灭火器过期了", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("有人没戴安全帽", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("the floor is wet", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("Wang fell off the ladder and sprained his ankle", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("the fire extinguisher at the dock has expired", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("two guys on the line not wearing hard hats", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("nobody wears goggles at the grinder, no PPE at all", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("emergency exit blocked by pallets", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("exposed wires behind the welding station", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("安全出口被货物堵住了", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("车间地面很湿，有积水", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("电线老化，有漏电危险", ReportKind.HAZARD, (Standard.SAFETY,)),
    ("a pallet almost fell on me", ReportKind.NEAR_MISS, (Standard.SAFETY,)),
    ("差点被叉车撞到", ReportKind.NEAR_MISS, (Standard.SAFETY,)),
    ("small fire in the paint booth, nobody was hurt", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("the forklift hit the racking, no one hurt", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("车间着火了，没有人受伤", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("叉车撞坏了货架", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("李师傅手指被压伤，送医院了", ReportKind.INCIDENT, (Standard.SAFETY,)),
    ("coolant spilled into the storm drain", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,)),
    ("strong chemical smell near the tank", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,)),
    ("废水直接排到雨水沟里", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,)),
    ("化学品库有异味", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT,)),
    ("地上有油", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT, Standard.SAFETY)),  # as "oil on the floor"
    ("there is oil on the floor", ReportKind.ENVIRONMENTAL, (Standard.ENVIRONMENT, Standard.SAFETY)),
    ("parts from press 3 are out of spec", ReportKind.DEFECT, (Standard.QUALITY,)),
    ("wrong label on the boxes for the customer", ReportKind.DEFECT, (Standard.QUALITY,)),
    ("这批零件尺寸超差，需要返工", ReportKind.DEFECT, (Standard.QUALITY,)),
    ("客户投诉外壳有划痕", ReportKind.DEFECT, (Standard.QUALITY,)),
]


@pytest.mark.parametrize("text, kind, standards", WORKER_SENTENCES)
def test_the_guess_reads_what_workers_write(text, kind, standards):
    guessed = kinds.guess(text, PLACES)
    assert (guessed.kind, guessed.standards) == (kind, standards)
