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
