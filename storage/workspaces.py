"""Every unit of work belongs to one workspace (an organisation row): it reads only that workspace's rows and
writes new rows into it, without any query having to say so.

The workspace is ``session.info[WORKSPACE]``: the one the unit of work was opened for (``Database.session(
workspace)``), else the one being served (``serving``: a request's team, set by handlers/middleware.py and
carried into the listener threads; a job's workspace, bot/scheduler.py). A unit of work that names none
belongs to the only organisation: a single-workspace install, as Triad was before it served several, works
unchanged. With several workspaces, a unit of work that names none is refused: nothing can leak by default.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, cast

from sqlalchemy import event, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.util import find_tables

from storage.models import Organisation
from storage.models.base import OfWorkspace, Tenant

WORKSPACE = "triad.workspace"  # session.info: the organisation id of this unit of work
DEFAULTS: dict[str, Any] = {"name": "Triad", "language": "en", "timezone": "UTC"}
_serving: ContextVar[int | None] = ContextVar("triad_workspace", default=None)


class NoWorkspace(RuntimeError):
    """Several workspaces, and a unit of work that did not say whose it is."""


def serve(workspace: int | None) -> None:
    """From now on in this context (a request's own: bot/server.py), units of work belong to ``workspace``;
    threads started from a copy of the context inherit it (bot/app.py ListenerPool)."""
    _serving.set(workspace)


@contextmanager
def serving(workspace: int | None) -> Iterator[None]:
    """Units of work opened meanwhile (in this thread, and in threads started from a copy of its context)
    belong to ``workspace``."""
    token = _serving.set(workspace)
    try:
        yield
    finally:
        _serving.reset(token)


def being_served() -> int | None:
    return _serving.get()


def workspace_of(session: Session, *, create: bool = False) -> int | None:
    """This unit of work's organisation id; the only organisation's when it names none (created if asked,
    for a write on a fresh install). None when there is no organisation yet."""
    found = session.info.get(WORKSPACE)
    if found is None:
        connection = session.connection()  # Core: no ORM event, no recursion
        first_two = connection.scalars(select(Organisation.id).order_by(Organisation.id).limit(2)).all()
        if len(first_two) > 1:
            raise NoWorkspace("this unit of work serves no workspace, and Triad serves several")
        found = first_two[0] if first_two else None
        if found is None and create:
            found = connection.scalar(insert(Organisation).values(**DEFAULTS).returning(Organisation.id))
        if found is not None:
            session.info[WORKSPACE] = found
    return found


@event.listens_for(Session, "do_orm_execute")
def _only_this_workspace(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    workspace = state.session.info.get(WORKSPACE)  # a request's or a job's: known, nothing to look up
    if workspace is None:
        statement = cast(ClauseElement, state.statement)
        if not any(table.name in _tenant_tables() for table in find_tables(statement, include_crud=True)):
            return  # the organisations themselves, the outbox's delivery: no workspace to look up
        workspace = workspace_of(state.session)
    state.statement = state.statement.options(with_loader_criteria(
        Tenant, lambda cls: cls.organisation_id == workspace, include_aliases=True))


@cache
def _tenant_tables() -> frozenset[str]:
    from storage.models import Base

    return frozenset(m.tables[0].name for m in Base.registry.mappers if issubclass(m.class_, Tenant))


@event.listens_for(Session, "before_flush")
def _into_this_workspace(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, OfWorkspace) and obj.organisation_id is None]
    if new:
        workspace = workspace_of(session, create=True)
        for obj in new:
            obj.organisation_id = workspace
