"""What happens to procedures and acknowledgments, announced (bot/events.py) for the Slack side to show
(handlers/procedures/notices.py). Who is told, when and under which key is decided here, as ``Dm``s."""
from __future__ import annotations

from dataclasses import dataclass

from bot.events import Dm, Event


@dataclass(frozen=True)
class Card:
    """One person's DM card for the version they owe: ``since`` the version they last acknowledged (a revision
    shows what changed since), None for a first reading."""

    ack_id: int
    to: Dm
    since: int | None = None
    replaces: str | None = None  # the outbox key of the card it replaces (a version since superseded)


@dataclass(frozen=True)
class CardsOwed(Event):
    """Publishing, a revision, a joiner, a move or a renewal: each person owed the version gets its card."""

    version_id: int
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class CardOffered(Event):
    """Someone pressed a card for a version no longer in force (or asked again): the current one, now."""

    version_id: int
    card: Card
    superseded: str | None = None  # the version they pressed, when it was superseded


@dataclass(frozen=True)
class Acknowledged(Event):
    """Recorded: the card says so (its buttons go)."""

    ack_id: int
    version_id: int
    person_id: int


@dataclass(frozen=True)
class PublishedNotice(Event):
    """The person who published (or the file's loader, when a person) hears how many were asked."""

    version_id: int
    to: Dm | None
    asked: int
    major: bool
    first: bool


@dataclass(frozen=True)
class Reminded(Event):
    """A person's pending acknowledgments, in one DM (``nudged_by``: a supervisor or an owner pressed Nudge)."""

    to: Dm
    ack_ids: tuple[int, ...]
    nudged_by: int | None = None


@dataclass(frozen=True)
class Escalated(Event):
    """A supervisor (or a system owner) hears who is overdue: ``ack_ids`` of people they answer for."""

    to: Dm
    ack_ids: tuple[int, ...]
    level: str  # supervisor | owner


@dataclass(frozen=True)
class ReviewDue(Event):
    """The owner is reminded that a version's review-by date is near (``days`` before) or passed (``days`` < 0)."""

    to: Dm
    version_id: int
    days: int


@dataclass(frozen=True)
class Retired(Event):
    """A version was withdrawn: cards still out for it say so, pending acknowledgments are no longer asked."""

    version_id: int
    ack_ids: tuple[int, ...]
