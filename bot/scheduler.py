"""APScheduler 3 with its jobs in the app database.

It runs inside the web process by default (TRIAD_SCHEDULER=embedded) or alone as
``python -m bot clock``. With several processes, a lease row in the database decides which one
runs the jobs, so no job runs twice; the others keep trying to take the lease over if it lapses.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from bot import clock, domains
from bot.runtime import Runtime
from storage.models import SchedulerLease

if TYPE_CHECKING:  # a web-only process never loads APScheduler
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
LEASE = "scheduler"
LEASE_FOR = timedelta(seconds=60)

_running: Runtime | None = None  # the runtime of the scheduler running in this process


def run_job(job_id: str) -> None:
    """What APScheduler calls: it stores a job by reference (this function and the job's id, see
    ``_start_scheduler``), so the job gets the runtime of the scheduler that runs it here."""
    job = domains.job(job_id)
    if job is None or _running is None:
        log.warning("job %s is not known to this process: skipped", job_id)
        return
    _running.clock.run(job.run_everywhere, _running)  # APScheduler's threads start with an empty context


class Lease:
    def __init__(self, runtime: Runtime) -> None:
        self.db = runtime.db
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def acquire_or_renew(self) -> bool:
        now = clock.now()
        with self.db.session() as s:
            taken = cast("CursorResult[Any]", s.execute(update(SchedulerLease).where(
                SchedulerLease.name == LEASE,
                (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now),
            ).values(holder=self.holder, expires_at=now + LEASE_FOR))).rowcount == 1
        if taken:
            return True
        try:
            with self.db.session() as s:
                if s.scalar(select(SchedulerLease.name).where(SchedulerLease.name == LEASE)) is None:
                    s.add(SchedulerLease(name=LEASE, holder=self.holder, expires_at=now + LEASE_FOR))
                    return True
        except IntegrityError:
            pass
        return False

    def release(self) -> None:
        with self.db.session() as s:
            s.execute(delete(SchedulerLease).where(SchedulerLease.name == LEASE, SchedulerLease.holder == self.holder))


class Scheduler:
    """Starts APScheduler only while this process holds the lease."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lease = Lease(runtime)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="scheduler-lease", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Until ``stop_soon``: keep or take the lease and run the jobs while it is held."""
        self.runtime.clock.run(self._keep_lease)

    def stop_soon(self) -> None:
        """Make ``run_forever`` return (safe from a signal handler: it only sets an event)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._stop_scheduler()

    def _keep_lease(self) -> None:
        while not self._stop.is_set():
            try:
                if self.lease.acquire_or_renew():
                    if self.scheduler is None:
                        self._start_scheduler()
                elif self.scheduler is not None:
                    log.warning("scheduler lease lost: stopping jobs in this process")
                    self._stop_scheduler()
            except Exception:
                log.exception("scheduler lease check failed")
            self._stop.wait(LEASE_FOR.total_seconds() / 3)

    def _start_scheduler(self) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.runtime.db.engine, tablename="apscheduler_jobs")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone="UTC",
        )
        global _running
        _running = self.runtime
        scheduler.start()
        wanted = {job.id: job for job in domains.all_jobs()}
        for stored in scheduler.get_jobs():  # a job no domain declares any more (renamed, removed) stops
            if stored.id not in wanted:
                stored.remove()
        for job in wanted.values():
            scheduler.add_job("bot.scheduler:run_job", id=job.id, args=[job.id], replace_existing=True,
                              trigger="interval", seconds=job.every.total_seconds())
        self.scheduler = scheduler
        log.info("scheduler running in this process (%s)", self.lease.holder)

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            try:
                self.lease.release()
            except Exception:
                log.exception("could not release the scheduler lease")
