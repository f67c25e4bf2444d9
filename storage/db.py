"""Engine and unit-of-work sessions.

One session per unit of work: ``with database.session() as s:`` commits on success and
rolls back on any exception, so a state change and the outbox messages it owes are
written together or not at all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

# Hooks run after a successful commit of a session that set the matching flag in
# session.info (e.g. the outbox wakes its worker). Registered by the owning module.
_after_commit_hooks: list[Callable[[dict[str, Any]], None]] = []


def on_after_commit(hook: Callable[[dict[str, Any]], None]) -> None:
    """Register ``hook(session_info: dict)``, called after each successful commit."""
    _after_commit_hooks.append(hook)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, echo=echo)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
            session.commit()
            info = dict(session.info)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        for hook in _after_commit_hooks:
            hook(info)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 15, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the outbox worker read while a listener writes; foreign keys are off by default.
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    # Take the write lock at BEGIN so two writers queue on busy_timeout instead of
    # failing with "database is locked" when a reader upgrades to a writer.
    conn.exec_driver_sql("BEGIN IMMEDIATE")
