"""With several processes, one holds the scheduler lease; the others take over when it lapses."""
from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.runtime import build
from bot.scheduler import LEASE_FOR, Lease


def test_only_one_process_runs_the_jobs_and_another_takes_over(db, database_url, clock):
    runtime = build(Settings(mode="sandbox", database_url=database_url), clock=clock)
    first, second = Lease(runtime), Lease(runtime)
    assert first.acquire_or_renew()
    assert not second.acquire_or_renew()
    assert first.acquire_or_renew()  # renewing keeps it
    runtime.clock.advance(LEASE_FOR + timedelta(seconds=1))  # the first process died
    assert second.acquire_or_renew()
    assert not first.acquire_or_renew()
    runtime.close()
