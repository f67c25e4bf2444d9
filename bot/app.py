"""The Bolt app factory: one app, the same in HTTP mode, Socket Mode, the sandbox and the tests."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from slack_bolt import App

from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Bolt runs every listener in this pool and answers Slack as soon as the listener acks; the work
# after the ack keeps a thread busy, so the pool is larger than Bolt's default of 5: a new request
# must find a free thread to ack from while earlier ones are still working.
LISTENER_THREADS = 64


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener threads, counted: the sandbox and the tests wait until the work after an ack is done."""

    def __init__(self, max_workers: int = LISTENER_THREADS) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._running = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._changed:
            self._running += 1

        def counted():
            try:
                return fn(*args, **kwargs)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

        return super().submit(counted)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no listener is running; False if some still run after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout)


def create_app(runtime: Runtime, *, signing_secret: str | None = None) -> App:
    settings = runtime.settings
    runtime.listeners = ListenerPool()
    app = App(
        client=runtime.gateway.client,
        signing_secret=signing_secret or settings.signing_secret or "sandbox-signing-secret",
        token_verification_enabled=False,  # no auth.test at start-up: start even while Slack is down
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=runtime.listeners,
    )
    import handlers

    handlers.register(app, runtime)
    return app
