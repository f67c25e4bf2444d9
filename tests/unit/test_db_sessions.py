"""Reads never queue behind a writer, and a read-only unit of work cannot write."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from storage.models import Organisation


def test_a_read_does_not_wait_for_a_transaction_that_is_writing(db):
    with db.session() as s:
        s.add(Organisation(name="Riverside", language="en", timezone="UTC"))
    with db.session() as writer:  # holds SQLite's write lock (BEGIN IMMEDIATE) / the row's lock until the end
        writer.execute(update(Organisation).values(name="Renamed, not yet committed"))
        writer.flush()
        with db.read() as reader:  # another connection: it would wait for the writer if it took the lock
            assert reader.scalar(select(Organisation.name)) == "Riverside"


def test_a_read_cannot_write_and_leaves_its_connection_fit_for_writing(db):
    with pytest.raises(DBAPIError), db.read() as s:
        s.add(Organisation(name="Sneaky", language="en", timezone="UTC"))
        s.flush()
    for _ in range(3):  # whichever pooled connection comes next can write again
        with db.session() as s:
            s.add(Organisation(name="Riverside", language="en", timezone="UTC"))
    with db.read() as s:
        assert s.scalars(select(Organisation.name)).all() == ["Riverside"] * 3


# -- the memo: a channel's reading languages are asked for on every card, and change rarely ------------

def _paint_shop(db) -> None:
    from bot import clock
    from storage.models import Department, Person

    with db.session() as s:
        s.add(Organisation(name="Riverside", language="en", timezone="UTC"))
    with db.session() as s:  # its rows are written into it
        paint = Department(code="paint", name_en="Painting", name_zh="涂装", channel_id="C0PAINT")
        s.add(paint)
        s.flush()
        s.add(Person(slack_user_id="U0LI", name_en="Li", department_id=paint.id, slack_locale="en-US",
                     created_at=clock.now()))


def _languages(db, *, write: bool = False) -> list[str]:
    from bot.org.channels import languages

    with (db.session() if write else db.read()) as s:
        return languages(s, "C0PAINT")


def test_a_channels_languages_are_remembered_until_someone_here_changes_a_reader(db):
    from storage.models import Person

    _paint_shop(db)
    assert _languages(db) == ["en"]
    with db.engine.begin() as conn:  # behind the memo's back, as another process would
        conn.execute(update(Person).values(slack_locale="zh-CN"))
    assert _languages(db) == ["en"]  # remembered (for at most db.memo.ttl seconds)
    db.memo.ttl = 0
    assert _languages(db) == ["zh"]  # once that has passed, asked again
    db.memo.ttl = 60
    with db.session() as s:  # a change made here forgets what was remembered at once
        s.scalar(select(Person)).language_override = "en"
    assert _languages(db) == ["en"]


def test_an_answer_from_a_unit_of_work_that_changed_a_reader_is_not_remembered(db):
    from bot.org.channels import languages
    from storage.models import Person

    _paint_shop(db)
    with pytest.raises(RuntimeError), db.session() as s:
        s.scalar(select(Person)).language_override = "zh"
        assert languages(s, "C0PAINT") == ["zh"]
        raise RuntimeError("rolled back")
    assert _languages(db) == ["en"]
