"""The sandbox's demo plant: who is who in Slack (the organisation itself is examples/org.yml)."""
from __future__ import annotations

from dataclasses import dataclass

from bot import shipped

ORG_FILE = shipped.path("examples") / "org.yml"


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


USERS = (
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
)

CHANNELS = {
    "C0TRIAGE": "triage",
    "C0STAMP": "stamping",
    "C0PAINT": "painting",
    "C0QUALITY": "quality",
    "C0ENV": "environment",
    "C0SAFETY": "safety",
}
