"""The sandbox's demo workspaces: who is who in Slack, and which channels each has.

The demo plant (T0TRIAD) is examples/org.yml's organisation. Lakeside Plant (T0LAKE) is a second workspace that
has just installed Triad and set nothing up: each installs through the OAuth flow with a bot token of its own,
and Triad keeps them apart. Slack ids differ between them; channel names may repeat (#triage), as in Slack.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot import shipped

ORG_FILE = shipped.path("examples") / "org.yml"
PROCEDURES_FILE = shipped.path("examples") / "procedures.yml"  # its register: drafts its owners publish


@dataclass(frozen=True)
class DemoUser:
    slack_id: str
    handle: str  # what you type after `as`
    name_en: str
    name_zh: str
    locale: str
    tz: str
    about_en: str
    about_zh: str
    workspace_owner: bool = False  # in Slack: a Triad admin until an organisation names its own


@dataclass(frozen=True)
class DemoWorkspace:
    team_id: str
    name: str  # as its admin named it in Slack (in no language of Triad's)
    users: tuple[DemoUser, ...]
    channels: Mapping[str, str]  # channel id -> name
    start_channel: str  # where a person arriving from the other workspace starts


PLANT = DemoWorkspace(
    "T0TRIAD", "Triad Sandbox",
    users=(
        DemoUser("U0ZHANG", "zhang", "Zhang Wei", "张伟", "zh-CN", "Asia/Shanghai",
                 "press operator, Stamping (worker)", "冲压车间压机操作工（员工）"),
        DemoUser("U0LI", "li", "Li Na", "李娜", "en-US", "Asia/Shanghai",
                 "supervisor of Stamping", "冲压车间主管"),
        DemoUser("U0CHEN", "chen", "Chen Jie", "陈杰", "en-US", "Asia/Shanghai",
                 "quality system owner (ISO 9001)", "质量管理体系负责人（ISO 9001）"),
        DemoUser("U0WANG", "wang", "Wang Fang", "王芳", "en-US", "Asia/Shanghai",
                 "environment system owner (ISO 14001)", "环境管理体系负责人（ISO 14001）"),
        DemoUser("U0LIU", "liu", "Liu Yang", "刘洋", "en-US", "Asia/Shanghai",
                 "safety system owner (ISO 45001)", "职业健康安全管理体系负责人（ISO 45001）"),
        DemoUser("U0ZHAO", "zhao", "Zhao Min", "赵敏", "en-US", "Asia/Shanghai",
                 "plant manager and Triad administrator", "厂长、Triad 管理员", workspace_owner=True),
        DemoUser("U0WU", "wu", "Wu Hao", "吴昊", "zh-CN", "Asia/Shanghai",
                 "press operator who joined this week (not in the organisation file yet)",
                 "本周入职的压机操作工（尚未列入组织文件）"),
    ),
    channels={"C0TRIAGE": "triage", "C0STAMP": "stamping", "C0PAINT": "painting", "C0QUALITY": "quality",
              "C0ENV": "environment", "C0SAFETY": "safety"},
    start_channel="C0STAMP",
)

LAKESIDE = DemoWorkspace(
    "T0LAKE", "Lakeside Plant",
    users=(
        DemoUser("U1SUN", "sun", "Sun Lei", "孙磊", "zh-CN", "Asia/Shanghai",
                 "assembly worker", "装配工（员工）"),
        DemoUser("U1ZHOU", "zhou", "Zhou Ting", "周婷", "en-US", "Asia/Shanghai",
                 "assembly shift leader", "装配班长"),
        DemoUser("U1HUANG", "huang", "Huang Qiang", "黄强", "en-US", "Asia/Shanghai",
                 "plant manager; owns the Slack workspace", "厂长，Slack 工作区所有者", workspace_owner=True),
    ),
    channels={"C1TRIAGE": "triage", "C1ASSEMBLY": "assembly", "C1SAFETY": "safety"},
    start_channel="C1ASSEMBLY",
)

WORKSPACES = (PLANT, LAKESIDE)
PEOPLE = tuple(user for workspace in WORKSPACES for user in workspace.users)
CHANNELS = {channel: name for workspace in WORKSPACES for channel, name in workspace.channels.items()}  # every one


def workspace_of(user: DemoUser) -> DemoWorkspace:
    return next(workspace for workspace in WORKSPACES if user in workspace.users)
