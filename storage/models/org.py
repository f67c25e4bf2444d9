"""The organisation: departments, sites and locations, people and their roles."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Tenant


class Standard(str, enum.Enum):
    QUALITY = "iso9001"
    ENVIRONMENT = "iso14001"
    SAFETY = "iso45001"


class Role(str, enum.Enum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"  # of one department
    OWNER = "owner"  # of one standard's system
    MANAGER = "manager"
    ADMIN = "admin"


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Store the value as plain text with a CHECK constraint: portable and readable in SQL.
    return Enum(e, name=name, native_enum=False, values_callable=lambda x: [m.value for m in x], length=20)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    triage_channel_id: Mapped[str | None] = mapped_column(String(32))
    quality_channel_id: Mapped[str | None] = mapped_column(String(32))
    environment_channel_id: Mapped[str | None] = mapped_column(String(32))
    safety_channel_id: Mapped[str | None] = mapped_column(String(32))
    # Working hours (bot/hours.py) as their text, e.g. "mon-fri 08:00-17:00"; None: the default.
    working_hours: Mapped[str | None] = mapped_column(String(500))
    # The Slack workspace (team) it is, and its Enterprise Grid org; a single-workspace install learns its
    # team from the first request.
    team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    # Set when the workspace uninstalls Triad or revokes its token: nothing is sent there until it is back.
    uninstalled_at: Mapped[datetime | None]

    def channel_for(self, standard: Standard) -> str | None:
        return {
            Standard.QUALITY: self.quality_channel_id,
            Standard.ENVIRONMENT: self.environment_channel_id,
            Standard.SAFETY: self.safety_channel_id,
        }[standard]


class BilingualName:
    """Organisation entities are named in both languages by the organisation file."""

    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


class Department(BilingualName, Tenant, Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    working_hours: Mapped[str | None] = mapped_column(String(500))  # None: the organisation's


class Site(BilingualName, Tenant, Base):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    locations: Mapped[list[Location]] = relationship(back_populates="site", order_by="Location.id")


class Location(BilingualName, Tenant, Base):
    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    code: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # who looks after it
    site: Mapped[Site] = relationship(back_populates="locations")
    department: Mapped[Department | None] = relationship()


class Person(Tenant, Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("organisation_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # where they work, when the file says
    slack_locale: Mapped[str | None] = mapped_column(String(16))  # as Slack reports it, e.g. zh-CN
    language_override: Mapped[str | None] = mapped_column(String(8))  # chosen with /triad language
    timezone: Mapped[str | None] = mapped_column(String(64))
    profile_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # A Slack workspace admin or owner (users.info): a Triad admin while the organisation names none.
    slack_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    working_hours: Mapped[str | None] = mapped_column(String(500))  # None: their department's

    department: Mapped[Department | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )

    def name(self, lang: str) -> str:
        return (self.name_zh or self.name_en) if lang == "zh" else self.name_en


class RoleAssignment(Tenant, Base):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "department_id", "standard"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # supervisors
    standard: Mapped[Standard | None] = mapped_column(_enum(Standard, "standard"))  # owners

    person: Mapped[Person] = relationship(back_populates="roles")
    department: Mapped[Department | None] = relationship()
