"""A runtime's clock: moved by the sandbox's wait and by tests, bound by each entry point for the work it runs."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot import clock
from bot.clock import Clock, UnboundClock


def test_waiting_counts_as_ahead_a_travel_to_a_moment_does_not():
    moment = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    ticking = Clock()
    ticking.travel_to(moment)
    assert ticking.ahead() == timedelta() and abs(ticking.now() - moment) < timedelta(seconds=5)
    ticking.advance(timedelta(days=3))
    assert ticking.ahead() == timedelta(days=3) and ticking.now() - moment >= timedelta(days=3)
    ticking.reset()
    assert abs(ticking.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_now_is_the_bound_clocks_and_in_tests_a_thread_nobody_bound_fails():
    ahead = Clock()
    ahead.advance(timedelta(days=400))
    assert ahead.run(clock.now) - clock.now() > timedelta(days=399)  # the test's own clock is bound around it
    outcome: list[object] = []

    def forgotten() -> None:  # a new thread starts with an empty context: nothing is bound there
        try:
            outcome.append(clock.now())
        except UnboundClock as exc:
            outcome.append(exc)

    thread = threading.Thread(target=forgotten)
    thread.start()
    thread.join()
    assert isinstance(outcome[0], UnboundClock)
