"""Speed and memory benchmarks: `make bench`. Prints each measure against its target; exits 1 if one is missed.

They run the real stack on loopback (Slack emulator, WSGI server, Bolt app, SQLite or
$BENCH_DATABASE_URL) so the numbers include signing, parsing, the database and rendering.
"""
from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)

from bot.config import Settings  # noqa: E402
from bot.org import people  # noqa: E402
from handlers.help import help_message  # noqa: E402
from handlers.home import home_view  # noqa: E402
from sandbox.harness import Harness  # noqa: E402

TARGETS = {
    "slash command answered (p95, ms)": 300,
    "App Home rendered (mean, ms)": 20,
    "help rendered (mean, ms)": 5,
    "report submitted and filed (p95, ms)": 500,
    "resident memory after the run (MB)": 250,
}


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    harness = Harness(Settings(mode="sandbox", database_url=url)).start()
    results: dict[str, float] = {}
    try:
        harness.runtime.worker.stop()  # measure delivery on its own below

        latencies = []
        for _ in range(200):
            started = time.perf_counter()
            assert harness.driver.slash("U0LI", "/triad", "help").status == 200
            latencies.append((time.perf_counter() - started) * 1000)
        results["slash command answered (p95, ms)"] = statistics.quantiles(latencies, n=20)[18]

        latencies = []
        for n in range(100):
            assert harness.driver.slash("U0ZHANG", "/report", f"hazard guard missing on press {n}").status == 200
            harness.emulator.wait_for(lambda: harness.emulator.open_modal("U0ZHANG"))
            started = time.perf_counter()
            response = harness.driver.submit("U0ZHANG", {})
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status == 200 and not (response.json or {}).get("errors"), response.body
        results["report submitted and filed (p95, ms)"] = statistics.quantiles(latencies, n=20)[18]
        harness.deliver()

        with harness.db.session() as s:
            actor = people.actor_of(people.find(s, "U0ZHAO"), people.organisation(s))
            started = time.perf_counter()
            for _ in range(200):
                home_view(s, actor)
            results["App Home rendered (mean, ms)"] = (time.perf_counter() - started) * 1000 / 200
        started = time.perf_counter()
        for _ in range(500):
            help_message(actor)
        results["help rendered (mean, ms)"] = (time.perf_counter() - started) * 1000 / 500

        # Outbox throughput is measured at Slack's (emulated) limits by bench/outbox_limits.py.
        results["resident memory after the run (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        harness.stop()

    missed = 0
    for name, value in results.items():
        target = TARGETS[name]
        ok = value >= -target if target < 0 else value <= target
        missed += not ok
        bound = f"{'>=' if target < 0 else '<='} {abs(target)}"
        print(f"{'ok  ' if ok else 'MISS'} {name:40} {value:10.1f}   target {bound}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
