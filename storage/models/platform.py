"""Tables that keep the promises of the platform: the outbox, de-duplication, audit, settings."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, OfWorkspace


class OutboxMessage(OfWorkspace, Base):
    """A message the bot owes someone, written in the transaction of the change that owes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_target", "target_key"),  # delivering an update looks for newer ones of the same message
        # Each lane's first due message, read from the index alone.
        Index("ix_outbox_lane", "status", "lane", "id", "next_attempt_at", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key
    operation: Mapped[str] = mapped_column(String(20))  # post | update | ephemeral | home | upload
    channel: Mapped[str | None] = mapped_column(String(32))  # channel or user id
    user: Mapped[str | None] = mapped_column(String(32))  # ephemeral recipient / home owner
    thread_key: Mapped[str | None] = mapped_column(String(200))  # reply in the thread of that message
    target_key: Mapped[str | None] = mapped_column(String(200))  # update that message
    # Messages of one lane (a channel, a DM, a person's Home) go one at a time, in order.
    lane: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | superseded | dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # An attempt may have reached Slack (set when it is claimed, before the call): look before posting.
    ambiguous: Mapped[bool] = mapped_column(default=False)
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OutboxLane(Base):
    """When Slack lets the outbox call again: one row per paced channel ("C123") or method ("chat.update").

    Shared by every delivering process; a Retry-After pushes ``open_at`` forward for that lane only.
    """

    __tablename__ = "outbox_lane"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    open_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Slack event ids already handled, so Slack's retries never act twice."""

    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class AppSetting(Base):
    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SchedulerLease(Base):
    """Which process runs the scheduler: with several web processes, exactly one holds it."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
