"""The floor of the load bench: the bare Bolt app (bench/bare_app.py) plus the least an app that keeps records
does, with the project's own stack (SQLAlchemy 2 typed ORM, one session per unit of work, the same database).

Before each ack it reads who is asking (one indexed query); after a submission or a press it writes a record
and an outbox row in one transaction. No rendering, no permissions, no languages, no delivery. Triad measured
against this shows what its own work costs; this against the bare app shows what keeping records at all costs.
"""
from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, Text, create_engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bare_app  # noqa: E402


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "bench_floor_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")


class Record(Base):
    __tablename__ = "bench_floor_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int]
    words: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class Outgoing(Base):
    __tablename__ = "bench_floor_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[str] = mapped_column(Text)


class Store:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False},
                                   pool_size=20, max_overflow=20)
            event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA journal_mode=WAL"))
        else:
            engine = create_engine(url, pool_size=10, max_overflow=40)
        Base.metadata.create_all(engine)
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def who(self, user_id: str) -> Person:
        with self.sessions() as s:
            person = s.scalar(select(Person).where(Person.slack_user_id == user_id))
        if person is None:
            try:
                with self.sessions.begin() as s:
                    s.add(person := Person(slack_user_id=user_id))
            except IntegrityError:  # a parallel request added them first
                return self.who(user_id)
        return person

    def write(self, person: Person, words: str, key: str) -> None:
        with self.sessions.begin() as s:
            s.add(Record(person_id=person.id, words=words, written_at=datetime.now(UTC)))
            s.add(Outgoing(key=key, payload=words))


if __name__ == "__main__":
    bare_app.serve(lambda: bare_app.build(Store(os.environ["DATABASE_URL"])), "floor-bolt-web")
