"""Engine and unit-of-work sessions.

One session per unit of work: ``with database.session() as s:`` commits on success and
rolls back on any exception, so a state change and the outbox messages it owes are
written together or not at all. ``with database.read() as s:`` is for looking only: on
SQLite it does not take the write lock (so it never queues behind a writer), and on both
databases it refuses to write.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from storage import chain  # noqa: F401 - seals every evidence entry at commit
from storage.workspaces import WORKSPACE, being_served

T = TypeVar("T")

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
        self._read_factory = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False,
                                          info={READ_ONLY: True})
        self.memo = Memo()
        self._writers = Admission(SQLITE_WRITERS if url.startswith("sqlite") else POSTGRESQL_WRITERS)

    @contextmanager
    def session(self, workspace: int | None = None) -> Iterator[Session]:
        """A unit of work that may write: on SQLite it holds the write lock from its first statement.

        Units that may write are admitted a few at a time (see Admission), so those queueing on a lock never
        hold every pooled connection: a read, the first step of every request, always finds one.
        ``workspace``: the organisation whose rows it sees and writes (storage/workspaces.py)."""
        with self._writers, self._unit(self._factory, workspace) as session:
            yield session

    @contextmanager
    def read(self, workspace: int | None = None) -> Iterator[Session]:
        """A unit of work that only reads: no write lock, and any write fails instead of queueing."""
        with self._unit(self._read_factory, workspace) as session:
            yield session

    @contextmanager
    def _unit(self, factory: sessionmaker[Session], workspace: int | None) -> Iterator[Session]:
        workspace = being_served() if workspace is None else workspace
        session = factory(info={MEMO: self.memo} if workspace is None else {MEMO: self.memo, WORKSPACE: workspace})
        try:
            yield session
            session.commit()
            info = dict(session.info)
            if info.get(_MEMO_STALE):
                self.memo.clear()
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


class Admission:
    """At most ``limit`` units that may write at once in this process; the rest wait here, in turn.

    Writers queue anyway (SQLite has one write lock; on PostgreSQL, filings queue on the year's reference
    counter row), but queued in the database each holds a pooled connection, and enough of them left none
    for the reads that answer Slack: 36 acks at 50 users took over 3 s. Waiting here costs no connection,
    and a released turn wakes the next writer at once instead of at SQLite's next busy-handler poll.
    A thread already admitted (a unit opened inside another) passes straight through.
    """

    def __init__(self, limit: int, timeout: float | None = None) -> None:
        self._turns = threading.BoundedSemaphore(limit)
        self._held = threading.local()
        self.timeout = BUSY_SECONDS if timeout is None else timeout

    def __enter__(self) -> None:
        depth = getattr(self._held, "depth", 0)
        if depth == 0 and not self._turns.acquire(timeout=self.timeout):
            raise OperationalError("admission to write", None,
                                   TimeoutError(f"database is locked: no turn to write within {self.timeout:.0f} s"))
        self._held.depth = depth + 1

    def __exit__(self, *_exc: object) -> None:
        self._held.depth -= 1
        if self._held.depth == 0:
            self._turns.release()


class Memo:
    """Answers that change rarely and cost a query every time (a channel's reading languages), kept between
    units of work in this process.

    Keyed by the caller; cleared when a unit of work here commits a write to a table it ``watch``es, and kept
    at most ``ttl`` seconds, the longest another process's change may take to show here.
    """

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, key: Any, compute: Callable[[], T]) -> T:
        hit = self._entries.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        if not session.info.get(_MEMO_STALE) and not _touches_watched(session):
            with self._lock:  # an answer from this unit's own uncommitted writes is not kept
                self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


MEMO = "triad.memo"  # session.info: the Database's Memo
_MEMO_STALE = "triad.memo_stale"  # session.info: this unit wrote a watched table
_watched: set[str] = set()  # table names


def remembered(session: Session, key: Any, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave a moment ago in this process (see Memo); computed afresh outside a Database."""
    memo: Memo | None = session.info.get(MEMO)
    return compute() if memo is None else memo.get(session, (session.info.get(WORKSPACE), key), compute)


def watch(*tables: str) -> None:
    """Memo answers depend on these tables: a committed write to one of them clears the memo."""
    _watched.update(tables)


def _touches_watched(session: Session) -> bool:
    return any(getattr(obj, "__tablename__", None) in _watched
               for obj in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _note_watched_writes(session: Session, _context: Any) -> None:
    if _touches_watched(session):
        session.info[_MEMO_STALE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_watched_statements(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper is not None \
            and getattr(state.bind_mapper.class_, "__tablename__", None) in _watched:
        state.session.info[_MEMO_STALE] = True


def is_read_only(session: Session) -> bool:
    """Whether this session came from ``Database.read()``: checks run there lock nothing and write nothing."""
    return bool(session.info.get(READ_ONLY))


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        # Connections to a file are cheap; enough of them that a read (every request's first step)
        # never waits for a pooled connection held by a writer queueing on the write lock.
        engine = create_engine(url, echo=echo, connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False},
                               pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=POOL_SIZE)
    event.listen(engine, "begin", _postgresql_begin)
    return engine


# Per process: the web threads, Bolt's listener threads (bot.app), the outbox worker, the scheduler.
POOL_SIZE = 40  # and as many again on demand
BUSY_SECONDS = 15.0  # how long a writer waits for its turn (SQLite's busy_timeout too) before it fails
SQLITE_WRITERS = 1  # one write lock per file: a second writer would only wait inside SQLite's busy handler
POSTGRESQL_WRITERS = 10  # row locks let writers overlap; the pool's other connections stay for reads
READ_ONLY = "triad_read_only"  # execution option of the engine behind Database.read()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the outbox worker read while a listener writes; foreign keys are off by default.
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000:.0f}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        # A deferred BEGIN reads a WAL snapshot without any lock; query_only turns a stray
        # write into an error rather than a lock upgrade that could fail with SQLITE_BUSY.
        conn.exec_driver_sql("PRAGMA query_only = ON")
        conn.exec_driver_sql("BEGIN")
    else:
        # Writers take the write lock at BEGIN so two of them queue on busy_timeout (and
        # simultaneous presses take turns) instead of failing when a reader upgrades.
        conn.exec_driver_sql("PRAGMA query_only = OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgresql_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")  # same contract as on SQLite: reads only
