"""Malformed input: correctly signed, mutated Slack payloads through the real server and app.

    python bench/fuzz.py [COUNT] [SEED]      # default 10,000 requests, seed 6

Prints the counts (by status class, 5xx, answers over 3 s, refusals that changed stored state or
logged more than once) and exits 1 unless all of those are zero. SQLite, or $BENCH_DATABASE_URL.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)

from bot.config import Settings  # noqa: E402
from sandbox import fuzz  # noqa: E402
from sandbox.harness import Harness  # noqa: E402


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tempfile.mkdtemp()) / 'fuzz.sqlite3'}"
    log_file = Path(tempfile.mkdtemp()) / "fuzz.log"
    logging.basicConfig(filename=log_file, level=logging.WARNING)
    harness = Harness(Settings(mode="sandbox", database_url=url), start_worker=False).start()
    try:
        started = time.monotonic()
        outcome = fuzz.run(harness, count, seed, progress=lambda line: print(line, flush=True))
        print(outcome.summary())
        print(f"  {time.monotonic() - started:.0f} s; the app's log: {log_file}")
    finally:
        harness.stop()
    bad = outcome.server_errors + outcome.hangs + outcome.refusals_that_changed_state + \
        outcome.refusals_logged_more_than_once
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
