"""Controlled procedures at a plant's size: publishing a version to 5,000 people, and coverage over 10,000 people x
200 procedures, each against a bare reference measured in the same run (the machine may be shared and noisy: the
ratios are what to compare between runs, the absolute figures say what a person waits).

Publish: an organisation of 5,000 people (bulk inserts: a few departments, some reading Chinese, some whose language
Triad does not know yet and who get both) and one owner, whose draft (audience: everyone) is published in one unit
of work, ``service.publish`` and its commit: the acknowledgment rows, the evidence entry, and a DM card for each of
the 5,000 in the outbox. The reference writes the same 5,000 acknowledgment rows and 5,000 outbox rows with the
same payloads (those the publish wrote, as it shares them between people of one kind) with SQLAlchemy Core
executemany in one transaction. Every measurement runs in a child process on a fresh copy of the seeded database (a
PostgreSQL template, an SQLite file copy): wall time and resident memory growth (peak minus what the child held
before, /proc/self/clear_refs) untraced, and the tracemalloc peak in a second, traced run.

Coverage: 10,000 people in 20 departments, 200 procedures in force (half revised once, half with a check) and
2,000,000 acknowledgment rows (COPY on PostgreSQL), mixed statuses; ``coverage.summary`` (both ways at once),
``total`` and ``missing`` as a manager (every department) and a supervisor (one) sees them, each timed right after
the reference: a bare ``SELECT procedure_id, count(*) FROM acknowledgment GROUP BY procedure_id``.

    python bench/procedures.py [--database postgresql|sqlite] [--part publish|coverage|both] [--rounds 5]
                               [--quick] [--reuse] [--explain]

PostgreSQL comes from BENCH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench_procedures): the
coverage data set is seeded there (its public schema dropped and migrated afresh; ``--reuse`` keeps one an earlier
run seeded at the same size), and the publish rounds create and drop <name>_seed and <name>_round beside it (the
role needs CREATEDB). SQLite runs in temporary files. ``--quick``: 1,000 people to publish to, 2,000 people x 40
procedures of coverage, 3 rounds. Exits 1 if opening coverage as a manager takes a second or more (median).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storage.db import Database  # noqa: E402

OPEN_TARGET_MS = 1000  # a manager opening coverage (total, by procedure, by department): well under a second
MB = 1024 * 1024
LOCALES = ("zh-CN", "zh-CN", "zh-CN", "zh-CN", "en-US", "en-US", "en-US", "en-US", "en-GB", None)  # None: unknown
OPENING = ("summary",)  # what the coverage modal asks (handlers/procedures/coverage.py)
REFERENCE_QUERY = "SELECT procedure_id, count(*) FROM acknowledgment GROUP BY procedure_id"


@dataclass(frozen=True)
class Sizes:
    publish_people: int
    coverage_people: int
    procedures: int
    rounds: int


FULL = Sizes(publish_people=5000, coverage_people=10_000, procedures=200, rounds=5)
QUICK = Sizes(publish_people=1000, coverage_people=2000, procedures=40, rounds=3)


# -- databases -------------------------------------------------------------------------------------------------------

class Place:
    """Where the databases live: a PostgreSQL server (the base database and two beside it) or a temporary folder."""

    def __init__(self, database: str) -> None:
        self.postgresql = database == "postgresql"
        if self.postgresql:
            url = os.environ.get("BENCH_DATABASE_URL")
            if not url or not url.startswith("postgresql"):
                raise SystemExit("BENCH_DATABASE_URL is not set to a PostgreSQL database (e.g. postgresql+psycopg://"
                                 "postgres@127.0.0.1:5432/bench_procedures)")
            self.base = url
            self.name = make_url(url).database or "bench_procedures"
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="triad-bench-procedures-"))
            self.base = self.url("coverage")

    def url(self, which: str) -> str:
        if self.postgresql:
            return make_url(self.base).set(database=f"{self.name}_{which}").render_as_string(hide_password=False)
        return f"sqlite:///{self.folder / which}.sqlite3"

    def _connect(self) -> Any:
        """A plain psycopg connection to the base database, outside any transaction (CREATE DATABASE)."""
        import psycopg

        plain = make_url(self.base).set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(plain, autocommit=True)

    def _admin(self, *statements: str) -> None:
        with self._connect() as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self, which: str) -> str:
        """An empty database, migrated."""
        from storage import migrate

        if self.postgresql:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}_{which}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}_{which}"')
        else:
            self._remove(which)
        migrate.upgrade(self.url(which))
        return self.url(which)

    def copy(self, source: str, which: str) -> str:
        """A fresh copy of a seeded database (nobody may be connected to it)."""
        if self.postgresql:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}_{which}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}_{which}" TEMPLATE "{self.name}_{source}"')
        else:
            self._remove(which)
            shutil.copyfile(self.folder / f"{source}.sqlite3", self.folder / f"{which}.sqlite3")
        return self.url(which)

    def others_active(self) -> int:
        """Queries running now in the server's other databases (another agent's test suite, say)."""
        with self._connect() as conn:
            found = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND datname NOT LIKE %s",
                                 (f"{self.name}%",)).fetchone()
        return int(found[0]) if found else 0

    def drop(self, *which: str) -> None:
        if self.postgresql:
            self._admin(*(f'DROP DATABASE IF EXISTS "{self.name}_{w}" WITH (FORCE)' for w in which))
        else:
            for w in which:
                self._remove(w)

    def _remove(self, which: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            (self.folder / f"{which}.sqlite3{suffix}").unlink(missing_ok=True)

    def finish(self) -> None:
        if not self.postgresql:
            shutil.rmtree(self.folder, ignore_errors=True)


def settle(db: Database) -> None:
    """Statistics for the planner (PostgreSQL) or the WAL folded into the file (SQLite, before it is copied)."""
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    db.dispose()
    if db.engine.dialect.name == "sqlite":
        import sqlite3

        with contextlib.closing(sqlite3.connect(make_url(db.url).database or "")) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- the organisation ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plant:
    workspace: int
    departments: list[int]
    people: list[int]  # ids, in the order they were made


def seed_plant(db: Database, people: int, departments: int) -> Plant:
    """An organisation, its departments and people, with bulk inserts; person 0 owns the safety system, person 1 is
    a manager, person 2 supervises the first department."""
    from storage.models import Department, Organisation, Person, Role, RoleAssignment, Standard

    joined = datetime.now(UTC) - timedelta(days=400)
    with db.engine.begin() as conn:
        workspace = conn.scalar(insert(Organisation.__table__).values(
            name="Bench Plant", language="en", timezone="Asia/Shanghai").returning(Organisation.__table__.c.id))
        conn.execute(insert(Department.__table__), [
            {"organisation_id": workspace, "code": f"dept{d:02d}", "name_en": f"Department {d}",
             "name_zh": f"部门{d}", "working_hours": "mon-sat 07:00-19:00" if d % 4 == 3 else None}
            for d in range(departments)])
        department_ids = list(conn.scalars(select(Department.__table__.c.id).order_by(Department.__table__.c.id)))
        rows = []
        for n in range(people):
            locale = LOCALES[n % len(LOCALES)]
            rows.append({"organisation_id": workspace, "slack_user_id": f"U{n:07d}", "name_en": f"Worker {n:05d}",
                         "name_zh": f"员工{n:05d}" if locale and locale.startswith("zh") else None,
                         # one in a hundred in no department
                         "department_id": None if n % 100 == 99 else department_ids[n % departments],
                         "slack_locale": locale, "timezone": "Europe/Berlin" if n % 50 == 7 else None,
                         "created_at": joined, "slack_admin": False})
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Person.__table__), rows[start:start + 5000])
        person_ids = list(conn.scalars(select(Person.__table__.c.id).order_by(Person.__table__.c.id)))
        conn.execute(insert(RoleAssignment.__table__), [
            {"organisation_id": workspace, "person_id": person_ids[n], "role": role, "standard": standard,
             "department_id": department}
            for n, role, standard, department in ((0, Role.OWNER, Standard.SAFETY, None), (1, Role.MANAGER, None, None),
                                                  (2, Role.SUPERVISOR, None, department_ids[0]))])
    return Plant(workspace, department_ids, person_ids)


def actor(db: Database, workspace: int, person_id: int) -> Any:
    from bot.org import people
    from storage.models import Person

    with db.read(workspace) as s:
        person = s.get(Person, person_id)
        assert person is not None
        return people.actor_of(person, people.organisation(s))


# -- publishing to 5,000 ---------------------------------------------------------------------------------------------

def draft() -> Any:
    from bot.procedures.values import Audience, ProcedureDraft, QuestionDraft
    from storage.models import Standard

    question = QuestionDraft("Before you reach into the press, you…", "把手伸进压机之前，你应该……",
                             (("ask a colleague to watch", "请同事看着"), ("lock it out and tag it", "上锁挂牌")), 1,
                             "Only your own lock keeps the press from starting.", "只有你自己的锁才能防止压机启动。")
    return ProcedureDraft(
        code="SOP-EHS-007", version="1.0", title_en="Lockout/tagout", title_zh="上锁挂牌",
        summary_en="Stop the machine.\nLock every energy source with your own lock.\nTry to start it: it must not.",
        summary_zh="停机。\n用你自己的锁锁定每个能源。\n尝试启动：它不应启动。", owner="U0000000",
        standards=(Standard.SAFETY,), audience=Audience(everyone=True), effective_on=date.today(),
        clauses="ISO 45001 8.1.2", document_url="https://docs.example.com/loto.pdf", questions=(question,))


def seed_publish(place: Place, people: int) -> tuple[str, int, int]:
    """The seeded database's url, the workspace and the draft's version id."""
    from bot.procedures import service

    url = place.create("seed")
    db = Database(url)
    plant = seed_plant(db, people, departments=6)
    owner = actor(db, plant.workspace, plant.people[0])
    with db.session(plant.workspace) as s:
        version_id = service.save_draft(s, owner, draft()).id
    settle(db)
    return url, plant.workspace, version_id


def measure(work: Callable[[], object], trace: bool) -> dict[str, float]:
    """Wall seconds of ``work`` and the memory it took: resident growth (peak over what was held before) or, traced,
    the tracemalloc peak."""
    gc.collect()
    if trace:
        tracemalloc.start()
    before = _resident_kb(reset_peak=True)
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    peak = _peak_kb()
    found = {"seconds": seconds, "rss_growth_mb": (peak - before) / 1024}
    if trace:
        found["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    return found


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _resident_kb(reset_peak: bool) -> int:
    if reset_peak:
        with open("/proc/self/clear_refs", "w") as refs:  # the peak (VmHWM) starts again from here
            refs.write("5")
    return _status("VmRSS")


def _peak_kb() -> int:
    return _status("VmHWM")


def warm(db: Database, workspace: int, version_id: int) -> None:
    """What a long-running process has done before: imports, the templates compiled, the tables' pages read."""
    from bot import domains
    from bot.i18n import Reader
    from handlers.procedures import cards
    from storage.models import ProcedureVersion

    domains.notices()
    with db.read(workspace) as s:
        version = s.get(ProcedureVersion, version_id)
        assert version is not None
        for lang in ("en", "zh"):
            cards.card(Reader(lang=lang, tz="Asia/Shanghai", locale=None), version, None, since=None)
    with db.engine.connect() as conn:
        for table in ("person", "acknowledgment", "outbox_message", "evidence_entry"):
            conn.execute(text(f"SELECT count(*) FROM {table}"))


def child_publish(url: str, workspace: int, version_id: int, owner_id: int, trace: bool) -> dict[str, float]:
    from bot.procedures import service

    db = Database(url)
    warm(db, workspace, version_id)
    owner = actor(db, workspace, owner_id)

    def publish() -> None:
        with db.session(workspace) as s:
            assert service.publish(s, owner, version_id).asked > 0

    return measure(publish, trace)


def child_reference(url: str, workspace: int, version_id: int, plan_file: str, trace: bool) -> dict[str, float]:
    """The same acknowledgment and outbox rows, written with Core executemany in one transaction."""
    from storage.models import Acknowledgment, AckStatus, OutboxMessage, ProcedureVersion

    with open(plan_file, encoding="utf-8") as found:
        plan = json.load(found)
    payloads, people = plan["payloads"], plan["people"]
    db = Database(url)
    warm(db, workspace, version_id)
    with db.engine.connect() as conn:
        procedure_id = conn.scalar(select(ProcedureVersion.__table__.c.procedure_id).where(
            ProcedureVersion.__table__.c.id == version_id))

    def write() -> None:
        now = datetime.now(UTC)
        due, stamp = now.date() + timedelta(days=14), int(now.timestamp())
        acks = [{"organisation_id": workspace, "procedure_id": procedure_id, "person_id": person_id,
                 "version_id": version_id, "required": True, "status": AckStatus.PENDING, "reason": "published",
                 "assigned_at": now, "due_on": due, "attempts": 0,
                 "card_key": f"ack:{n + 1}:card:{version_id}:{stamp}"} for n, (person_id, _, _) in enumerate(people)]
        posts = [{"organisation_id": workspace, "key": f"ack:{n + 1}:card:{version_id}:{stamp}", "operation": "post",
                  "channel": channel, "lane": channel, "payload": payloads[kind], "status": "pending", "attempts": 0,
                  "created_at": now, "ambiguous": False, "next_attempt_at": now}
                 for n, (_, channel, kind) in enumerate(people)]
        with db.engine.begin() as conn:
            conn.execute(insert(Acknowledgment.__table__), acks)
            conn.execute(insert(OutboxMessage.__table__), posts)

    return measure(write, trace)


def run_child(*args: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, str(Path(__file__)), "--child", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def published_cards(url: str, people: int) -> dict[str, Any]:
    """What the publish wrote, checked (every person's row and card, once), as the reference's plan: each person's
    id, Slack id and payload (the distinct payloads listed once, as the publish shares them)."""
    from storage.models import Acknowledgment, OutboxMessage, Person

    db = Database(url)
    with db.engine.connect() as conn:
        acks = conn.scalar(select(func.count()).select_from(Acknowledgment.__table__))
        ids = dict(conn.execute(select(Person.__table__.c.slack_user_id, Person.__table__.c.id)).all())
        rows = conn.execute(select(OutboxMessage.__table__.c.channel, OutboxMessage.__table__.c.payload).where(
            OutboxMessage.__table__.c.key.like("ack:%")).order_by(OutboxMessage.__table__.c.id)).all()
    db.dispose()
    if acks != people or len(rows) != people or len({channel for channel, _ in rows}) != people:
        raise SystemExit(f"publishing wrote {acks} acknowledgment rows and {len(rows)} cards for {people} people")
    kinds: dict[str, int] = {}
    plan_people = []
    for channel, payload in rows:
        kind = kinds.setdefault(json.dumps(payload, sort_keys=True, ensure_ascii=False), len(kinds))
        plan_people.append((ids[channel], channel, kind))
    payloads = [json.loads(k) for k in kinds]
    size = sum(len(json.dumps(payloads[kind], ensure_ascii=False).encode()) for _, _, kind in plan_people)
    return {"payloads": payloads, "people": plan_people, "bytes": size}


def bench_publish(place: Place, sizes: Sizes) -> tuple[list[str], dict[str, Any]]:
    people = sizes.publish_people
    print(f"[publish] seeding {people:,} people ...", flush=True)
    started = time.monotonic()
    _, workspace, version_id = seed_publish(place, people)
    print(f"[publish] seeded in {time.monotonic() - started:.0f} s (not measured)", flush=True)
    owner_id = _owner(place.url("seed"), workspace)
    handle, name = tempfile.mkstemp(prefix="triad-bench-plan-", suffix=".json")
    os.close(handle)
    plan_file = Path(name)
    plan: dict[str, Any] | None = None
    runs: dict[str, list[dict[str, float]]] = {"publish": [], "reference": []}
    traced: dict[str, list[float]] = {"publish": [], "reference": []}
    try:
        for round_number in range(1, sizes.rounds + 1):
            order = ["publish", "reference"] if round_number % 2 else ["reference", "publish"]
            for name in order:
                for trace in (False, True):
                    url = place.copy("seed", "round")
                    args = [url, str(workspace), str(version_id)]
                    if name == "publish":
                        found = run_child("publish", *args, str(owner_id), "1" if trace else "0")
                        if plan is None and not trace:
                            plan = published_cards(url, people)
                            plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
                    else:
                        found = run_child("reference", *args, str(plan_file), "1" if trace else "0")
                    if trace:
                        traced[name].append(found["traced_peak_mb"])
                    else:
                        runs[name].append(found)
                    what = (f"traced peak {found['traced_peak_mb']:6.1f} MB" if trace else
                            f"{found['seconds']:6.2f} s  RSS +{found['rss_growth_mb']:5.1f} MB")
                    print(f"  round {round_number} {name:9} {what}", flush=True)
    finally:
        place.drop("round", "seed")
        plan_file.unlink(missing_ok=True)
    assert plan is not None
    ratio = [p["seconds"] / r["seconds"] for p, r in zip(runs["publish"], runs["reference"], strict=True)]
    lines = [f"Publish to {people:,} people ({place_name(place)}), {rounds(sizes)}, min / median / max; "
             f"{len(plan['payloads'])} distinct cards, {plan['bytes'] / MB:.1f} MB of payload",
             f"  {'':36} {'seconds':>24} {'RSS growth MB':>24} {'tracemalloc peak MB':>24}"]
    for name, label in (("publish", "service.publish + commit"), ("reference", "reference: Core executemany")):
        lines.append(f"  {label:36} {spread([r['seconds'] for r in runs[name]], 2)} "
                     f"{spread([r['rss_growth_mb'] for r in runs[name]], 1)} {spread(traced[name], 1)}")
    lines.append(f"  {'time x reference':36} {spread(ratio, 2)}")
    figures = {"people": people, "ratio": ratio, "publish": runs["publish"], "reference": runs["reference"],
               "traced": traced}
    return lines, figures


def _owner(url: str, workspace: int) -> int:
    from storage.models import Person

    db = Database(url)
    with db.engine.connect() as conn:
        found = conn.scalar(select(Person.__table__.c.id).where(Person.__table__.c.slack_user_id == "U0000000"))
    db.dispose()
    assert found is not None
    return int(found)


# -- coverage over 10,000 x 200 --------------------------------------------------------------------------------------

ACK_COLUMNS = ("id", "organisation_id", "procedure_id", "person_id", "version_id", "required", "status", "reason",
               "assigned_at", "due_on", "opened_at", "attempts", "first_try", "acknowledged_at",
               "acknowledged_version_id", "evidence_id", "renew_on", "card_key")


def seed_coverage(url: str, people: int, procedures: int) -> None:
    """Procedures in force (the first half revised once, the even ones with a check) and one acknowledgment row per
    person and procedure: 3 % no longer required (moved out), about 70 % acknowledged (a fifth of those with a check
    failed it first), the rest owed, some overdue."""
    from export import prepare  # bench/export.py, beside this file

    from storage.models import Procedure, ProcedureQuestion, ProcedureStatus, ProcedureVersion, Question

    prepare(url)  # its public schema dropped, migrated afresh
    db = Database(url)
    plant = seed_plant(db, people, departments=20)
    now = datetime.now(UTC)
    today = now.date()
    published = now - timedelta(days=60)
    versions: dict[int, tuple[int, int | None, bool]] = {}  # procedure id: (in force, superseded, with a check)
    with db.engine.begin() as conn:
        question = conn.scalar(insert(Question.__table__).values(
            organisation_id=plant.workspace, topic="bench", prompt_en="Before you reach in, you…",
            prompt_zh="伸手之前，你应该……", choices=[{"en": "ask", "zh": "问"}, {"en": "lock out", "zh": "上锁"}],
            answer=1, explanation_en="Your lock.", explanation_zh="你的锁。", created_at=published)
            .returning(Question.__table__.c.id))
        for k in range(procedures):
            procedure = conn.scalar(insert(Procedure.__table__).values(
                organisation_id=plant.workspace, code=f"SOP-{k % 20:02d}-{k:03d}", owner_id=plant.people[0],
                created_at=published).returning(Procedure.__table__.c.id))
            revised, checked = k < procedures // 2, k % 2 == 0
            made = []
            for number in ((1, 2) if revised else (1,)):
                status = ProcedureStatus.PUBLISHED if number == (2 if revised else 1) else ProcedureStatus.SUPERSEDED
                made.append(conn.scalar(insert(ProcedureVersion.__table__).values(
                    organisation_id=plant.workspace, procedure_id=procedure, version=f"{number}.0", status=status,
                    title_en=f"Procedure {k}", title_zh=f"程序{k}", summary_en="Do it right.\nEvery time.",
                    summary_zh="做对。\n每次。", standards=["iso45001"], audience={"everyone": True},
                    document_url=f"https://docs.example.com/{k}.pdf", major=True, effective_on=today,
                    deadline_days=14, content_hash="0" * 64, created_at=published, published_at=published)
                    .returning(ProcedureVersion.__table__.c.id)))
                if checked:
                    conn.execute(insert(ProcedureQuestion.__table__).values(
                        organisation_id=plant.workspace, version_id=made[-1], position=0, question_id=question))
            versions[procedure] = (made[-1], made[0] if revised else None, checked)
    rng = random.Random(9)

    def rows() -> Any:
        n = 0
        for person in plant.people:
            for procedure, (current, before, checked) in versions.items():
                n += 1
                roll, required = rng.random(), rng.random() >= 0.03
                acknowledged = roll < 0.70
                first_try = (rng.random() < 0.8) if checked and acknowledged else None
                assigned = published + timedelta(days=rng.randrange(0, 50), minutes=n % 600)
                yield (n, plant.workspace, procedure, person, current, required,
                       "acknowledged" if acknowledged else "pending", "revised" if before else "published", assigned,
                       (assigned + timedelta(days=14)).date(), assigned + timedelta(hours=2) if roll < 0.8 else None,
                       (1 if first_try else 2) if checked and acknowledged else 0, first_try,
                       assigned + timedelta(hours=3) if acknowledged else None,
                       current if acknowledged else before, n if acknowledged else None, None,
                       f"ack:{n}:card:{current}:{int(assigned.timestamp())}")

    if url.startswith("postgresql"):
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY acknowledgment ({', '.join(ACK_COLUMNS)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
            cursor.execute("SELECT setval('acknowledgment_id_seq', %s)", (people * procedures,))
            raw.commit()
        finally:
            raw.close()
    else:
        from storage.models import Acknowledgment

        batch: list[dict[str, Any]] = []
        with db.engine.begin() as conn:
            for row in rows():
                batch.append(dict(zip(ACK_COLUMNS, row, strict=True)))
                if len(batch) == 20_000:
                    conn.execute(insert(Acknowledgment.__table__), batch)
                    batch.clear()
            if batch:
                conn.execute(insert(Acknowledgment.__table__), batch)
    settle(db)


def seeded(url: str, people: int, procedures: int) -> bool:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM acknowledgment), "
                                      "(SELECT count(*) FROM organisation)")).one()
    except Exception:
        return False
    finally:
        db.dispose()
    return tuple(found) == (people, people * procedures, 1)


def bench_coverage(place: Place, sizes: Sizes, explain: bool, reuse: bool) -> tuple[list[str], dict[str, Any]]:
    from bot.procedures import coverage, permissions
    from storage.models import Organisation, Person

    url, people, procedures = place.base, sizes.coverage_people, sizes.procedures
    rows = people * procedures
    if reuse and place.postgresql and seeded(url, people, procedures):
        print(f"[coverage] reusing the {rows:,} acknowledgment rows seeded earlier", flush=True)
    else:
        print(f"[coverage] seeding {people:,} people x {procedures} procedures = {rows:,} acknowledgment rows ...",
              flush=True)
        started = time.monotonic()
        seed_coverage(url, people, procedures)
        print(f"[coverage] seeded in {time.monotonic() - started:.0f} s (not measured)", flush=True)
    db = Database(url)
    with db.engine.connect() as conn:
        workspace = conn.scalar(select(Organisation.__table__.c.id))
        manager_id, supervisor_id = (conn.scalar(select(Person.__table__.c.id).where(
            Person.__table__.c.slack_user_id == slack_id)) for slack_id in ("U0000001", "U0000002"))
    assert workspace is not None and manager_id is not None and supervisor_id is not None
    scopes = {"manager": permissions.coverage_departments(actor(db, workspace, manager_id)),
              "supervisor": permissions.coverage_departments(actor(db, workspace, supervisor_id))}
    assert scopes["manager"] is None and scopes["supervisor"], scopes
    queries: dict[str, Callable[[Any, list[int] | None], object]] = {
        "summary": lambda s, scope: coverage.summary(s, departments=scope),
        "total": lambda s, scope: coverage.total(s, departments=scope),
        "missing(limit=90)": lambda s, scope: coverage.missing(s, departments=scope, limit=90),
        "missing(), the CSV's rows": lambda s, scope: coverage.missing(s, departments=scope),
    }

    def timed(work: Callable[[Any], object]) -> tuple[float, object]:
        with db.read(workspace) as s:
            started = time.perf_counter()
            answer = work(s)
            return time.perf_counter() - started, answer

    def reference(s: Any) -> object:
        return s.execute(text(REFERENCE_QUERY)).all()

    if explain:
        for who, scope in scopes.items():
            for name, query in queries.items():
                print(f"\n-- {who}: {name}")
                print(explained(db, workspace, scoped(query, scope)))
    times: dict[tuple[str, str], list[float]] = {}
    ratios: dict[tuple[str, str], list[float]] = {}
    references: list[float] = []
    answers: dict[tuple[str, str], object] = {}
    for round_number in range(0, sizes.rounds + 1):  # round 0 warms the caches, and is not counted
        for who, scope in scopes.items():
            for name, query in queries.items():
                pair = [("reference", reference), (name, scoped(query, scope))]
                measured = dict((label, timed(work)) for label, work in (pair if round_number % 2 else pair[::-1]))
                if round_number:
                    times.setdefault((who, name), []).append(measured[name][0])
                    ratios.setdefault((who, name), []).append(measured[name][0] / measured["reference"][0])
                    references.append(measured["reference"][0])
                answers[(who, name)] = measured[name][1]
        if round_number:
            opened = {who: sum(times[(who, name)][-1] for name in OPENING) * 1000 for who in scopes}
            print(f"  round {round_number}: reference {references[-1] * 1000:4.0f} ms, opening coverage: manager "
                  f"{opened['manager']:5.0f} ms, supervisor {opened['supervisor']:5.0f} ms", flush=True)
    with db.read(workspace) as s:  # every missing row at once, for a manager (the nudge's reach)
        listed = measure(lambda: coverage.missing(s), trace=True)
    db.dispose()
    lines = [f"Coverage over {people:,} people x {procedures} procedures = {rows:,} acknowledgment rows "
             f"({place_name(place)}), {rounds(sizes)}, min / median / max",
             f"  reference, bare GROUP BY procedure_id: {spread([r * 1000 for r in references], 0)} ms",
             f"  {'':48} {'ms':>24} {'x reference':>24}  answer"]
    for (who, name), values in times.items():
        answer = answers[(who, name)]
        lines.append(f"  {who + ': ' + name:48} {spread([v * 1000 for v in values], 0)} "
                     f"{spread(ratios[(who, name)], 2)}  {describe(answer)}")
    opening: dict[str, list[float]] = {}
    for who in scopes:
        opening[who] = [sum(times[(who, name)][n] for name in OPENING) for n in range(sizes.rounds)]
        lines.append(f"  {who + ': opening coverage (summary)':48} {spread([v * 1000 for v in opening[who]], 0)}")
    lines.append(f"  manager: missing(), every row: tracemalloc peak {listed['traced_peak_mb']:.0f} MB")
    return lines, {"times": times, "ratios": ratios, "opening": opening}


def scoped(query: Callable[[Any, list[int] | None], object], scope: list[int] | None) -> Callable[[Any], object]:
    return lambda session: query(session, scope)


def describe(answer: object) -> str:
    from bot.procedures.coverage import Summary

    if isinstance(answer, Summary):
        return (f"{describe(answer.total)}; {len(answer.by_procedure)} procedures, "
                f"{len(answer.by_department)} departments")
    if isinstance(answer, list):
        return f"{len(answer):,} line{'s' if len(answer) != 1 else ''}"
    required, acknowledged = getattr(answer, "required", None), getattr(answer, "acknowledged", None)
    return f"{acknowledged:,} of {required:,}" if required is not None else ""


def explained(db: Database, workspace: int, work: Callable[[Any], object]) -> str:
    """EXPLAIN ANALYZE of the statement ``work`` sends (with the workspace's criteria the session adds)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.read(workspace) as s:
            work(s)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = [(st, p) for st, p in sent if "acknowledgment" in st][-1]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + statement, parameters)
        plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
    finally:
        raw.close()
    return " ".join(statement.split()) + "\n" + plan


# -- reporting -------------------------------------------------------------------------------------------------------

def spread(values: list[float], digits: int) -> str:
    if not values:
        return f"{'-':>24}"
    return " ".join(f"{v:7.{digits}f}" for v in (min(values), statistics.median(values), max(values))).rjust(24)


def rounds(sizes: Sizes) -> str:
    return f"{sizes.rounds} round{'s' if sizes.rounds != 1 else ''}"


def place_name(place: Place) -> str:
    return "PostgreSQL" if place.postgresql else "SQLite"


class Watch:
    """What else the machine does while we measure, sampled every few seconds: the load average, heavy processes
    (test suites, bots, benchmarks) and, on PostgreSQL, queries running in other databases."""

    def __init__(self, place: Place) -> None:
        self.place, self.queries = place, 0
        self.loads: list[float] = []
        self.others: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(5):
                return

    def sample(self) -> None:
        self.loads.append(os.getloadavg()[0])
        try:
            found = subprocess.run(["pgrep", "-af", "pytest|python -m bot|bench"], capture_output=True, text=True)
        except OSError:
            found = None
        for line in found.stdout.splitlines() if found else []:
            if "bench/procedures.py" not in line and "pgrep" not in line and not self._ours(line):
                pid, _, command = line.partition(" ")
                self.others.setdefault(pid, command)
        if self.place.postgresql:
            self.queries = max(self.queries, self.place.others_active())

    def _ours(self, line: str) -> bool:
        """A PostgreSQL backend serving one of our databases."""
        ours = rf"postgres: .* {re.escape(self.place.name)}(_\w+)? " if self.place.postgresql else None
        return ours is not None and re.search(ours, line) is not None

    def lines(self) -> list[str]:
        found = [f"  load average (1 min) while measuring: {spread(self.loads, 1).strip()} (min / median / max) on "
                 f"{os.cpu_count()} CPUs"]
        if self.queries:
            found.append(f"  up to {self.queries} queries running at once in other databases of the PostgreSQL server")
        if self.others:
            found.append(f"  {len(self.others)} other heavy processes seen (the absolute figures suffer more than the "
                         "ratios):")
            found += [f"    {command[:140]}" for command in list(self.others.values())[:8]]
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"),
                        default="postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite")
    parser.add_argument("--part", choices=("publish", "coverage", "both"), default="both")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--quick", action="store_true", help="1,000 people to publish to; 2,000 x 40 coverage")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a coverage data set an earlier run seeded at the same size (PostgreSQL)")
    parser.add_argument("--explain", action="store_true", help="print each coverage query's plan first")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, workspace, version_id, extra, trace = args.child
        if kind == "publish":
            found = child_publish(url, int(workspace), int(version_id), int(extra), trace == "1")
        else:
            found = child_reference(url, int(workspace), int(version_id), extra, trace == "1")
        print(json.dumps(found))
        return 0
    sizes = QUICK if args.quick else FULL
    if args.rounds:
        sizes = Sizes(sizes.publish_people, sizes.coverage_people, sizes.procedures, args.rounds)
    place = Place(args.database)
    report: list[str] = []
    missed = []
    with Watch(place) as watch:
        try:
            if args.part in ("publish", "both"):
                lines, _ = bench_publish(place, sizes)
                report += lines
            if args.part in ("coverage", "both"):
                lines, figures = bench_coverage(place, sizes, args.explain, args.reuse)
                report += lines
                opening = statistics.median(figures["opening"]["manager"]) * 1000
                if opening >= OPEN_TARGET_MS:
                    missed.append(f"a manager opening coverage waits {opening:.0f} ms (target under {OPEN_TARGET_MS})")
        finally:
            place.finish()
    print()
    print("\n".join(report))
    print(f"  target: a manager opening coverage in under {OPEN_TARGET_MS} ms (median): "
          + ("met" if not missed else "MISSED") if args.part != "publish" else "")
    for line in missed:
        print(f"    {line}")
    print("\n".join(watch.lines()))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
