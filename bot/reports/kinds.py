"""Kinds of report, the standards each touches, and guessing both from a person's own words.

Keywords are matched as substrings of the lower-cased text, so Chinese (no spaces) and
English inflections ("leaking", "leaks") both work with one list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from storage.models import ReportKind, Standard

PREFIX = {
    ReportKind.HAZARD: "HZ",
    ReportKind.NEAR_MISS: "NM",
    ReportKind.INCIDENT: "IN",
    ReportKind.ENVIRONMENTAL: "EN",
    ReportKind.DEFECT: "QD",
}

DEFAULT_STANDARDS = {
    ReportKind.HAZARD: (Standard.SAFETY,),
    ReportKind.NEAR_MISS: (Standard.SAFETY,),
    ReportKind.INCIDENT: (Standard.SAFETY,),
    ReportKind.ENVIRONMENTAL: (Standard.ENVIRONMENT,),
    ReportKind.DEFECT: (Standard.QUALITY,),
}

# Anonymity protects people who point at unsafe conditions; incidents, spills and defects need a witness.
ANONYMOUS_KINDS = frozenset({ReportKind.HAZARD, ReportKind.NEAR_MISS})
# Someone was hurt or nearly was: whoever reported it must read why it is rejected.
REJECTION_NEEDS_NOTE = (ReportKind.HAZARD, ReportKind.NEAR_MISS, ReportKind.INCIDENT)

# The first word after /report that picks the kind, in both languages.
COMMAND_WORDS = {
    "hazard": ReportKind.HAZARD, "隐患": ReportKind.HAZARD, "危险源": ReportKind.HAZARD,
    "nearmiss": ReportKind.NEAR_MISS, "near-miss": ReportKind.NEAR_MISS, "near_miss": ReportKind.NEAR_MISS,
    "未遂": ReportKind.NEAR_MISS, "未遂事件": ReportKind.NEAR_MISS, "险肇": ReportKind.NEAR_MISS,
    "incident": ReportKind.INCIDENT, "injury": ReportKind.INCIDENT, "事件": ReportKind.INCIDENT,
    "伤害": ReportKind.INCIDENT, "事故": ReportKind.INCIDENT,
    "environmental": ReportKind.ENVIRONMENTAL, "environment": ReportKind.ENVIRONMENTAL, "env": ReportKind.ENVIRONMENTAL,
    "环境": ReportKind.ENVIRONMENTAL, "环境问题": ReportKind.ENVIRONMENTAL,
    "defect": ReportKind.DEFECT, "quality": ReportKind.DEFECT, "缺陷": ReportKind.DEFECT,
    "质量": ReportKind.DEFECT, "质量缺陷": ReportKind.DEFECT,
}
TWO_WORD_COMMANDS = {"near miss": ReportKind.NEAR_MISS}

# Scored by how many of a kind's words appear; a tie goes to the kind listed first. Words are what workers
# write, not the standard's vocabulary: "fell off a ladder", 脚扭了, 没戴安全帽, "the floor is wet".
KIND_KEYWORDS = {
    ReportKind.NEAR_MISS: ("near miss", "nearly", "almost", "close call", "narrowly", "just missed", "未遂", "险些",
                           "差点", "差一点", "险肇", "幸好没", "幸亏"),
    ReportKind.INCIDENT: ("injur", "hurt", "cut my", "cut his", "cut her", "burn", "bleed", "fainted", "first aid",
                          "hospital", "fell", "sprain", "twisted", "fractur", "broke his", "broke her", "broke my",
                          "collapsed", "unconscious", "electric shock", "caught fire", "on fire", "fire broke",
                          "a fire", "explosion", "exploded", "crashed", "collided", "hit by", "hit the", "was struck",
                          "ambulance", "died", "killed", "fatal", "passed away",
                          "受伤", "割伤", "烫伤", "流血", "骨折", "急救", "医院", "晕倒", "摔", "跌落", "坠落", "扭伤",
                          "扭了", "崴", "撞", "砸伤", "砸到", "夹伤", "压伤", "触电", "着火", "起火", "失火", "火灾",
                          "爆炸", "死亡", "身亡", "救护车", "昏迷", "工伤", "撞坏"),
    ReportKind.ENVIRONMENTAL: ("leak", "spill", "oil", "emission", "smoke", "fume", "waste", "wastewater", "noise",
                               "drain", "chemical", "release", "discharge", "dumped", "vapour", "vapor", "odour",
                               "odor", "smell", "dust", "coolant", "diesel",
                               "漏油", "漏水", "漏气", "渗油", "油污", "机油", "有油", "油渍", "泄漏", "渗漏", "排放",
                               "烟", "废水",
                               "废弃物", "垃圾", "噪声", "噪音", "化学品",
                               "溢出", "倾倒", "气味", "异味", "粉尘", "扬尘",
                               "污染", "雨水"),
    ReportKind.DEFECT: ("defect", "burr", "scratch", "crack", "dent", "out of tolerance", "dimension", "reject",
                        "complaint", "wrong part", "wrong label", "mislabel", "out of spec", "nonconform", "rework",
                        "scrap", "rust",
                        "缺陷", "毛刺", "划伤", "划痕", "裂纹", "凹陷",
                        "尺寸", "不合格", "投诉", "错件", "超差", "不良",
                        "返工", "报废", "生锈", "标签错", "漏装", "漏焊"),
    ReportKind.HAZARD: ("hazard", "unsafe", "danger", "guard", "missing", "broken", "slip", "trip", "loose", "exposed",
                        "blocked", "wet", "expired", "extinguisher", "helmet", "hard hat", "ppe", "goggles",
                        "safety glasses", "ear protection", "not wearing", "no gloves", "railing", "handrail",
                        "wire", "cable", "spark", "overloaded", "unstable", "fire exit", "emergency exit",
                        "not working", "too dark", "light is out", "lights are out",
                        "隐患", "危险", "不安全", "防护", "缺失", "损坏",
                        "滑", "绊", "松动", "裸露", "堵塞", "湿", "积水",
                        "过期", "灭火器", "安全帽", "没戴", "未戴", "不戴", "护目镜", "安全带", "劳保", "耳塞", "护栏",
                        "扶手", "电线", "漏电", "老化", "不稳", "安全出口", "消防通道", "堵", "太暗", "坏了", "失灵"),
}

# Words that tag a further standard whatever the kind (oil on a walkway is a slip hazard too).
STANDARD_KEYWORDS = {
    Standard.SAFETY: ("walkway", "floor", "slip", "trip", "fall", "fell", "injur", "guard", "ladder", "helmet",
                      "ppe", "extinguisher", "通道", "地面", "地上", "滑", "绊",
                      "摔", "受伤", "防护", "梯", "安全帽", "灭火器"),
    Standard.ENVIRONMENT: ("leak", "spill", "emission", "waste", "wastewater", "drain", "release", "discharge",
                           "泄漏", "渗漏", "漏油", "排放", "废水", "废弃物", "溢出", "污染"),
    Standard.QUALITY: ("defect", "burr", "scratch", "dimension", "customer", "out of spec", "缺陷", "毛刺", "划伤",
                       "尺寸", "顾客", "客户", "超差"),
}


@dataclass(frozen=True)
class Place:
    """A location as guessing needs it: its id and every name a person might use for it."""

    id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Guess:
    kind: ReportKind | None
    standards: tuple[Standard, ...]
    location_id: int | None


def kind_from_command(words: list[str]) -> tuple[ReportKind | None, int]:
    """The kind named at the start of /report's text and how many words named it."""
    if len(words) >= 2 and f"{words[0]} {words[1]}".lower() in TWO_WORD_COMMANDS:
        return TWO_WORD_COMMANDS[f"{words[0]} {words[1]}".lower()], 2
    if words and words[0].lower() in COMMAND_WORDS:
        return COMMAND_WORDS[words[0].lower()], 1
    return None, 0


def guess(text: str, places: list[Place]) -> Guess:
    lowered = _normalise(text)
    scores = {kind: sum(word in lowered for word in words) for kind, words in KIND_KEYWORDS.items()}
    best = max(scores.values())
    kind = next((k for k, score in scores.items() if score == best), None) if best else None
    standards = list(DEFAULT_STANDARDS[kind]) if kind else []
    for standard, words in STANDARD_KEYWORDS.items():
        if standard not in standards and any(word in lowered for word in words):
            standards.append(standard)
    location = next((p.id for p in places if any(_normalise(name) in lowered for name in p.names if name)), None)
    return Guess(kind=kind, standards=tuple(sorted(standards, key=list(Standard).index)), location_id=location)


def place_names(code: str, name_en: str, name_zh: str) -> tuple[str, ...]:
    """A location's names and the short forms people say: "Press line 3" is also "press 3", 3号压机线 also 3号压机."""
    short_en = re.sub(r"\b(line|area|room|station)\b", " ", name_en, flags=re.I)
    short_zh = name_zh.removesuffix("线").removesuffix("区")
    return tuple(dict.fromkeys(n for n in (name_en, short_en, name_zh, short_zh, code) if len(_normalise(n)) >= 2))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()
