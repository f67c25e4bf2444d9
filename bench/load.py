"""Triad under load against a bare Bolt app (bench/bare_app.py), side by side in one run, with a floor.

Both run as their own gunicorn process groups (same stack, WEB_CONCURRENCY x WEB_THREADS) against
one local Slack emulator (trigger_ids expire 3 s after the request was signed, as on Slack), Triad
deployed as the README advises under load: web processes that only answer Slack (TRIAD_SCHEDULER=off,
TRIAD_OUTBOX=off) and a `clock` process that runs the jobs and delivers the outbox. Virtual users, each in a thread, go
through the journey a plant lives: /triad help, /report (the modal opens), submit, and Acknowledge
on a card in their channel (of a report filed just before the phase, so the rate measures the
server and not how soon the outbox posts; that delay is shown as "card posted"). Each round
measures both apps at 8 and then 50 users, alternating which goes first; the ratios of each round
are summarised as min/median/max, because the machine is shared and noisy. Idle memory is the
resident memory of each web process group (gunicorn master and workers) once started.

The floor (bench/floor_app.py) is the bare app plus one ORM read per request and one small write per
submission and press, on the same database: the least an app that keeps records does. Its ratios to the
bare app are printed beside Triad's, without a target, so a run shows how much of the gap is Triad's own.

    python bench/load.py [--database sqlite|postgresql|both] [--rounds 3] [--iterations 2]

PostgreSQL comes from BENCH_DATABASE_URL. Exits 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import compileall
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import ProxyHandler, build_opener

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_name, None)

import yaml  # noqa: E402

from sandbox import demo  # noqa: E402
from sandbox.driver import SlackDriver  # noqa: E402
from sandbox.emulator import EmulatorEvent, SlackEmulator  # noqa: E402

TOKEN = "xoxb-bench"
USERS = [f"U0BENCH{n:03d}" for n in range(1, 51)]


def channel_of(user: str) -> str:
    """Each bench user supervises a department of their own, whose channel gets their cards: Slack takes
    about one post per second per channel, so fifty reporters in one channel would measure that limit."""
    return "C" + user[1:]

LEVELS = (8, 50)
ACK_LIMIT = 3.0  # seconds: Slack shows the person an error after this
# Seconds a card may take to appear. Triad paces itself to Slack's real limits (about 300 posts a minute
# in a workspace, 50 chat.update calls a minute), so fifty people filing at once take minutes to post;
# the emulator here limits no one, and the bare app does not pace itself.
DRAIN = 300
TARGETS = {"p99 ack ratio": 1.5, "throughput ratio": 0.7, "idle memory ratio": 1.5}


# -- the two apps ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebApp:
    """One gunicorn process group on loopback."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.port = name, free_port()
        self.secret = secrets.token_hex(16)
        self.process = subprocess.Popen(command, cwd=ROOT, env={**env, "PORT": str(self.port),
                                                                "SLACK_SIGNING_SECRET": self.secret},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        opener = build_opener(ProxyHandler({}))
        for _ in range(300):
            try:
                opener.open(f"{self.url}/healthz", timeout=1).read()
                return
            except (URLError, ConnectionError, OSError):
                if self.process.poll() is not None:
                    raise SystemExit(f"{self.name} did not start:\n{self.process.stderr.read()}") from None
                time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer /healthz")

    def memory_mb(self) -> float:
        """Resident memory of the master and its workers."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return sum(_rss_kb(pid) for pid in pids) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the journey ------------------------------------------------------------------------------------

class Cards:
    """Cards posted to the channel, found by the words of their report (instead of scanning messages)."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self._found: dict[str, dict] = {}
        self._changed = threading.Condition()
        emulator.subscribe(self._seen)

    def _seen(self, event: EmulatorEvent) -> None:
        channel = event.channel or ""
        if event.kind != "message_posted" or not channel.startswith("C0BENCH") or event.data.get("thread_ts"):
            return
        text = str(event.data.get("blocks") or "") + str(event.data.get("text") or "")
        if "report_acknowledge" not in text:
            return
        for word in text.replace('"', " ").replace("'", " ").split():
            if word.startswith("bench-"):
                with self._changed:
                    self._found[word] = {**event.data, "channel": channel}
                    self._changed.notify_all()

    def wait(self, token: str, timeout: float = 30) -> dict | None:
        with self._changed:
            self._changed.wait_for(lambda: token in self._found, timeout)
            return self._found.pop(token, None)


@dataclass
class Phase:
    acks: list[float] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    last_answer: float = 0.0
    over_limit: int = 0
    expired_triggers: int = 0
    lost: int = 0  # a modal or card that never appeared
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # ack times by request, and waits

    def detail(self) -> str:
        return ", ".join(f"{kind} p50 {statistics.median(v) * 1000:.0f} / max {max(v) * 1000:.0f} ms"
                         for kind, v in self.by_kind.items())

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.acks, n=100)[98] if len(self.acks) > 1 else self.acks[0]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def file_reports(app: WebApp, emulator: SlackEmulator, cards: Cards, users: list[str], count: int,
                 triad: bool) -> dict[str, list[dict]]:
    """Reports filed before a phase, each user's ``count`` cards in their channel: the phase acknowledges
    them, so its rate measures the server, not how soon the outbox posts (shown as "card posted")."""
    found: dict[str, list[dict]] = {u: [] for u in users}

    def user(user_id: str) -> None:
        driver = SlackDriver(f"{app.url}/slack/events", app.secret, emulator, timeout=30)
        tokens = []
        for n in range(count):
            token = f"bench-{app.name}-{user_id}-early{n}-{secrets.token_hex(3)}"
            driver.slash(user_id, "/report")
            try:
                emulator.wait_for(lambda: emulator.open_modal(user_id), timeout=10)
            except TimeoutError:
                continue  # its press will be missing from the phase, counted as lost (no card to wait for)
            tokens.append(token)
            driver.submit(user_id, _values(token, triad))
        found[user_id] = [card for token in tokens if (card := cards.wait(token, timeout=DRAIN)) is not None]

    threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def _values(token: str, triad: bool) -> dict[str, str]:
    words = f"guard missing on press 3 {token}"
    return {"kind": "hazard", "description": words} if triad else {"description": words}


def run_phase(app: WebApp, emulator: SlackEmulator, cards: Cards, users: list[str], iterations: int,
              triad: bool) -> Phase:
    waiting = file_reports(app, emulator, cards, users, iterations, triad)
    quiesce(emulator)
    phase, lock = Phase(), threading.Lock()
    calls_before = len(emulator.calls)
    start = threading.Barrier(len(users) + 1)

    def timed(response, kind: str) -> None:
        with lock:
            phase.by_kind.setdefault(kind, []).append(response.elapsed)
            phase.acks.append(response.elapsed)
            phase.requests += 1
            phase.last_answer = max(phase.last_answer, time.perf_counter())
            phase.over_limit += response.elapsed > ACK_LIMIT
            if response.status != 200:
                phase.errors.append(f"HTTP {response.status}: {response.body[:200]}")

    def waited(kind: str, since: float) -> None:
        with lock:
            phase.by_kind.setdefault(kind, []).append(time.perf_counter() - since)

    def user(user_id: str) -> None:
        driver = SlackDriver(f"{app.url}/slack/events", app.secret, emulator, timeout=30)
        start.wait()
        for n in range(iterations):
            token = f"bench-{app.name}-{user_id}-{n}-{secrets.token_hex(3)}"
            timed(driver.slash(user_id, "/triad", "help"), "help")
            timed(driver.slash(user_id, "/report"), "/report")
            asked = time.perf_counter()
            try:
                emulator.wait_for(lambda: emulator.open_modal(user_id), timeout=10)
                waited("modal opened", asked)
            except TimeoutError:
                with lock:
                    phase.lost += 1
                continue
            timed(driver.submit(user_id, _values(token, triad)), "submit")
            if waiting[user_id]:
                timed(driver.press_button(user_id, waiting[user_id].pop(0), action_id="report_acknowledge"), "press")
            else:
                with lock:
                    phase.lost += 1  # a card filed before the phase never arrived
        submitted = time.perf_counter()
        card = cards.wait(token, timeout=DRAIN)  # the phase's last report: how soon its card is posted
        if card is None:
            with lock:
                phase.lost += 1
        else:
            waited("card posted", submitted)

    threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    phase.seconds = phase.last_answer - began  # the card waits at the end are not the server's time
    phase.expired_triggers = sum(1 for c in emulator.calls[calls_before:] if c.error == "expired_trigger_id")
    return phase


def quiesce(emulator: SlackEmulator, quiet: float = 1.5, limit: float = 300) -> None:
    """Wait until the apps have stopped calling Slack (Triad's outbox drains after the acks)."""
    deadline, count, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(emulator.calls)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


# -- set-up -------------------------------------------------------------------------------------------

def prepare_database(url: str) -> None:
    from bot.org.orgfile import load_file
    from storage import migrate
    from storage.db import Database

    org = yaml.safe_load(demo.ORG_FILE.read_text(encoding="utf-8"))
    org["departments"] += [{"code": f"bench{u[-3:]}", "name": {"en": f"Line {u[-3:]}", "zh": f"{u[-3:]}线"},
                            "channel": channel_of(u)} for u in USERS]
    org["people"] += [{"slack_id": u, "name": {"en": f"Bench {u[-3:]}", "zh": f"测试{u[-3:]}"},
                       "department": f"bench{u[-3:]}", "roles": [{"supervisor": f"bench{u[-3:]}"}]} for u in USERS]
    path = Path(tempfile.mkdtemp(prefix="triad-bench-")) / "org.yml"
    path.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as s:
        load_file(s, path)
    db.dispose()


def emulator_with_users() -> SlackEmulator:
    emulator = SlackEmulator(bot_token=TOKEN).start()
    for u in demo.PLANT.users:
        emulator.add_user(u.slack_id, u.handle, u.name_en, locale=u.locale, tz=u.tz)
    for channel_id, name in demo.PLANT.channels.items():
        emulator.add_channel(channel_id, name)
    for u in USERS:
        emulator.add_user(u, u.lower(), f"Bench {u[-3:]}", locale="en-US", tz="Asia/Shanghai")
        emulator.add_channel(channel_of(u), f"line-{u[-3:]}")
    return emulator


def measure(database: str, url: str, rounds: int, iterations: int) -> dict[str, list[float]]:
    emulator = emulator_with_users()
    cards = Cards(emulator)
    prepare_database(url)
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": emulator.api_url, "DATABASE_URL": url,
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "1"),
           "WEB_THREADS": os.environ.get("WEB_THREADS", "8")}
    env.pop("SLACK_APP_TOKEN", None)
    # Both apps run from compiled bytecode, as an installed package does (pip compiles it); a machine that
    # sets PYTHONDONTWRITEBYTECODE would make every worker compile Triad's modules from source at start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for package in ("bot", "handlers", "storage", "bench"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    web_only = {**env, "TRIAD_SCHEDULER": "off", "TRIAD_OUTBOX": "off"}
    triad = WebApp("triad", [sys.executable, "-m", "bot"], web_only)
    triad_clock = subprocess.Popen([sys.executable, "-m", "bot", "clock"], cwd=ROOT,
                                   env={**env, "SLACK_SIGNING_SECRET": triad.secret},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    bare = WebApp("bare", [sys.executable, str(ROOT / "bench" / "bare_app.py")], env)
    floor = WebApp("floor", [sys.executable, str(ROOT / "bench" / "floor_app.py")], env)
    ratios: dict[str, list[float]] = {}
    try:
        for app in (triad, bare, floor):
            app.wait_ready()
        if triad_clock.poll() is not None:
            raise SystemExit(f"Triad's clock did not start:\n{triad_clock.stderr.read()}")
        time.sleep(2)  # idle: workers booted, nothing asked yet
        triad_mb, bare_mb, floor_mb = triad.memory_mb(), bare.memory_mb(), floor.memory_mb()
        ratios["idle memory ratio"] = [triad_mb / bare_mb]
        ratios["floor: idle memory ratio"] = [floor_mb / bare_mb]
        print(f"[{database}] idle memory: Triad {triad_mb:.0f} MB, bare Bolt {bare_mb:.0f} MB "
              f"(ratio {triad_mb / bare_mb:.2f}), floor {floor_mb:.0f} MB (ratio {floor_mb / bare_mb:.2f})", flush=True)
        for app in (triad, bare, floor):  # warm-up: every user known (profiles asked once), code paths loaded
            run_phase(app, emulator, cards, USERS, 1, app is triad)
            quiesce(emulator)
        emulator.reset()
        for round_no in range(rounds):
            for users in LEVELS:
                order = (triad, bare, floor) if round_no % 2 == 0 else (floor, bare, triad)
                phases = {}
                for app in order:
                    phases[app.name] = run_phase(app, emulator, cards, USERS[:users], iterations, app is triad)
                    quiesce(emulator)
                    emulator.reset()
                t, b, f = phases["triad"], phases["bare"], phases["floor"]
                key = f"{users} users"
                ratios.setdefault(f"p99 ack ratio, {key}", []).append(t.p99 / b.p99)
                ratios.setdefault(f"throughput ratio, {key}", []).append(t.throughput / b.throughput)
                ratios.setdefault(f"floor: p99 ack ratio, {key}", []).append(f.p99 / b.p99)
                ratios.setdefault(f"floor: throughput ratio, {key}", []).append(f.throughput / b.throughput)
                ratios.setdefault(f"acks over 3 s, {key}", []).append(t.over_limit)
                ratios.setdefault(f"expired trigger_ids, {key}", []).append(t.expired_triggers)
                ratios.setdefault(f"modals or cards lost, {key}", []).append(t.lost)
                line = (f"[{database}] round {round_no + 1}, {users:2} users: Triad p99 {t.p99 * 1000:6.0f} ms, "
                        f"{t.throughput:5.1f} req/s | bare p99 {b.p99 * 1000:6.0f} ms, {b.throughput:5.1f} req/s | "
                        f"Triad over 3 s {t.over_limit}, expired triggers {t.expired_triggers}, lost {t.lost}; "
                        f"bare over 3 s {b.over_limit}, expired {b.expired_triggers}, lost {b.lost} | "
                        f"floor p99 {f.p99 * 1000:6.0f} ms, {f.throughput:5.1f} req/s")
                print(line, flush=True)
                for label, p in (("Triad", t), ("bare ", b), ("floor", f)):
                    if os.environ.get("BENCH_DETAIL"):
                        print(f"    {label}: {p.detail()}", flush=True)
                    for error in p.errors[:3]:
                        print(f"    {error}", flush=True)
        triad_after, bare_after = triad.memory_mb(), bare.memory_mb()
        print(f"[{database}] memory after the load: Triad {triad_after:.0f} MB, bare Bolt {bare_after:.0f} MB "
              f"(ratio {triad_after / bare_after:.2f}; not a target)", flush=True)
    finally:
        triad.stop()
        triad_clock.terminate()
        triad_clock.wait(timeout=30)
        bare.stop()
        floor.stop()
        emulator.stop()
    return ratios


def verdict(database: str, ratios: dict[str, list[float]]) -> int:
    missed = 0
    print(f"\n[{database}] min / median / max over the rounds")
    for name, values in ratios.items():
        if name.startswith("floor"):  # the reference's own cost: no target
            print(f"     {name:36} {min(values):7.2f} {statistics.median(values):7.2f} {max(values):7.2f}")
            continue
        if name.startswith(("p99", "throughput", "idle")):
            limit = TARGETS[name.split(",")[0]]
            at_least = name.startswith("throughput")
            ok = all(v >= limit for v in values) if at_least else all(v <= limit for v in values)
            target = f"{'>=' if at_least else '<='} {limit}"
        else:
            ok = not name.startswith(("acks over", "expired")) or "50" not in name or max(values) == 0
            ok = ok and (not name.startswith("modals") or max(values) == 0)
            target = "0"
        missed += not ok
        print(f"{'ok  ' if ok else 'MISS'} {name:36} {min(values):7.2f} {statistics.median(values):7.2f} "
              f"{max(values):7.2f}   target {target}")
    return missed


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                        default="both" if os.environ.get("BENCH_DATABASE_URL") else "sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=2, help="journeys per user and phase")
    args = parser.parse_args()
    # A SIGTERM (pkill, a CI timeout) unwinds like Ctrl-C, so the servers and the clock started are stopped too.
    signal.signal(signal.SIGTERM, _interrupted)
    runs = []
    if args.database in ("sqlite", "both"):
        runs.append(("SQLite", f"sqlite:///{Path(tempfile.mkdtemp(prefix='triad-bench-')) / 'bench.sqlite3'}"))
    if args.database in ("postgresql", "both"):
        url = os.environ.get("BENCH_DATABASE_URL")
        if not url:
            raise SystemExit("--database postgresql needs BENCH_DATABASE_URL")
        runs.append(("PostgreSQL", url))
    missed = 0
    for name, url in runs:
        missed += verdict(name, measure(name, url, args.rounds, args.iterations))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
