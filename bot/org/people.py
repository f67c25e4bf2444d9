"""People: who someone is, which roles they hold, which language and time zone they read in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload, object_session

from bot import clock
from bot.i18n import LANGUAGES, Reader, language_for_locale
from storage.models import Organisation, Person, Role, RoleAssignment, Standard
from storage.workspaces import DEFAULTS, WORKSPACE, workspace_of

if TYPE_CHECKING:  # the domain knows Slack's profile only as a shape
    from bot.gateway import Profile

PROFILE_TTL = timedelta(days=7)
_ORGANISATION = "triad.organisation"  # session.info key: the organisation row, once per unit of work


@dataclass(frozen=True)
class Actor:
    """A person as the domain sees them: no ORM session, no Slack types."""

    id: int
    slack_user_id: str
    name: str
    lang: str
    tz: str
    department_id: int | None
    roles: frozenset[tuple[Role, int | None, Standard | None]]
    locale: str | None = None

    @property
    def reader(self) -> Reader:
        return Reader(lang=self.lang, tz=self.tz, locale=self.locale)

    def has(self, role: Role) -> bool:
        return any(r == role for r, _, _ in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)

    @property
    def is_manager(self) -> bool:
        return self.has(Role.MANAGER)

    def supervises(self, department_id: int | None) -> bool:
        return department_id is not None and (Role.SUPERVISOR, department_id, None) in self.roles

    def owns(self, standard: Standard) -> bool:
        return (Role.OWNER, None, standard) in self.roles

    @property
    def owned_standards(self) -> list[Standard]:
        return [s for r, _, s in self.roles if r == Role.OWNER and s is not None]

    @property
    def supervised_departments(self) -> list[int]:
        return [d for r, d, _ in self.roles if r == Role.SUPERVISOR and d is not None]


def organisation(session: Session) -> Organisation:
    org = settings_of(session)
    if org.id is None:  # a fresh install before any organisation file: keep the defaults
        session.add(org)
        session.flush()
        session.info[WORKSPACE] = org.id
        session.info[_ORGANISATION] = org
    return org


def settings_of(session: Session) -> Organisation:
    """The organisation, or its defaults (unsaved) on a fresh install: for reads that must not write.

    Looked up once per unit of work: a card alone asks for it several times, and it is the same row."""
    org = session.info.get(_ORGANISATION)
    if org is None:
        workspace = workspace_of(session)
        org = session.get(Organisation, workspace) if workspace is not None else None
        if org is None:
            return Organisation(**DEFAULTS)
        session.info[_ORGANISATION] = org
    return cast(Organisation, org)


def language_of(person: Person, org: Organisation) -> str:
    return language_from(person.language_override, person.slack_locale, org)


def language_from(override: str | None, slack_locale: str | None, org: Organisation) -> str:
    """A person's language: what they chose with /triad language, else their Slack locale's, else the organisation's."""
    if override in LANGUAGES:
        return override
    return language_for_locale(slack_locale, default=org.language)


def admins_named(session: Session) -> bool:
    """Whether the organisation names its administrators (then Slack's workspace admins are not, as such)."""
    return bool(session.scalar(select(exists().where(RoleAssignment.role == Role.ADMIN))))


def is_workspace_admin_in_charge(person: Person) -> bool:
    session = object_session(person)
    return person.slack_admin and session is not None and not admins_named(session)


def actor_of(person: Person, org: Organisation) -> Actor:
    roles = (frozenset((r.role, r.department_id, r.standard) for r in person.roles)
             or frozenset({(Role.WORKER, None, None)}))
    if is_workspace_admin_in_charge(person):
        roles |= {(Role.ADMIN, None, None)}
    return Actor(
        id=person.id, slack_user_id=person.slack_user_id, name=person.name(language_of(person, org)),
        lang=language_of(person, org), tz=person.timezone or org.timezone, department_id=person.department_id,
        roles=roles, locale=person.slack_locale,
    )


def administrators(session: Session) -> list[Person]:
    """Who administers Triad: the people the organisation names, else the workspace's admins and owners."""
    named = people_with_role(session, Role.ADMIN)
    return named or list(session.scalars(select(Person).where(Person.slack_admin).order_by(Person.id)))


def stranger(slack_user_id: str, org: Organisation) -> Actor:
    """Someone not registered, who must not be (an anonymous reporter): a worker in the organisation's language."""
    return Actor(id=0, slack_user_id=slack_user_id, name=slack_user_id, lang=org.language, tz=org.timezone,
                 department_id=None, roles=frozenset({(Role.WORKER, None, None)}))


def find(session: Session, slack_user_id: str) -> Person | None:
    # One round trip with the roles (every request asks this): a join, not a second SELECT.
    return session.scalars(select(Person).options(joinedload(Person.roles))
                           .where(Person.slack_user_id == slack_user_id)).unique().one_or_none()


def needs_profile(person: Person | None) -> bool:
    return person is None or person.profile_checked_at is None or clock.now() - person.profile_checked_at > PROFILE_TTL


def register_or_refresh(session: Session, slack_user_id: str, profile: Profile | None) -> Person:
    """A Slack user seen for the first time becomes a worker; known people get a fresh locale and zone.

    ``profile`` is a gateway.Profile or None when Slack could not be asked (then defaults apply and
    the profile is asked again next time).
    """
    person = find(session, slack_user_id)
    now = clock.now()
    if person is None:
        person = Person(slack_user_id=slack_user_id, name_en=profile.real_name if profile else slack_user_id,
                        created_at=now, slack_admin=False)
        person.roles.append(RoleAssignment(role=Role.WORKER))
        session.add(person)
    if profile is not None:
        if person.name_en == slack_user_id:
            person.name_en = profile.real_name
        person.slack_locale = profile.locale or person.slack_locale
        person.timezone = profile.tz or person.timezone
        person.slack_admin = profile.is_admin
        person.profile_checked_at = now
    session.flush()
    return person


def set_language(session: Session, person: Person, lang: str | None) -> None:
    """``lang`` None goes back to following the Slack locale."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(lang)
    person.language_override = lang


def people_with_role(session: Session, role: Role, *, department_id: int | None = None,
                     standard: Standard | None = None) -> list[Person]:
    query = select(Person).join(RoleAssignment).where(RoleAssignment.role == role)
    if department_id is not None:
        query = query.where(RoleAssignment.department_id == department_id)
    if standard is not None:
        query = query.where(RoleAssignment.standard == standard)
    return list(session.scalars(query.order_by(Person.id).distinct()))
