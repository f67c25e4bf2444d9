"""The auditor's export of a long evidence log: `python -m bot export` over a million sealed timeline entries, as
CSV and as XLSX, against a bare stream of the same rows in the same run.

The log is seeded with bulk inserts (COPY on PostgreSQL), each entry sealed and chained as Triad seals it; the
seeding is not timed. Each round runs, as subprocesses, the export CLI for CSV and for XLSX, and the reference: a bare
Python script streaming the same query (the timeline's seals joined to their entries, in the chain's order) to a CSV
file with no rendering; on PostgreSQL also psql's COPY of those rows, the database's own floor. Wall time and peak
resident memory (the child's own getrusage, from wait4) are printed as min / median / max over the rounds, with the
ratios to the reference. The target is peak memory under 200 MB for every export, whatever the log's length.

    python bench/export.py [--database postgresql|sqlite] [--entries 1000000] [--rounds 3]

PostgreSQL comes from BENCH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench_export; its public
schema is dropped and migrated afresh); SQLite runs a quick 100,000 entries in a temporary file. Exits 1 if a target
is missed or an export did not write every row.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text, update  # noqa: E402

from storage.chain import GENESIS, content, link_hash  # noqa: E402

TARGET_MB = 200  # peak resident memory of an export, at any length
PER_REPORT = 20  # timeline entries per report
MB = 1024  # ru_maxrss is in kB on Linux

STEPS = (  # a report's life, as its timeline records it (kind, detail), repeated to PER_REPORT entries
    ("filed", {"anonymous": False}),
    ("acknowledged", {}),
    ("risk_assessed", {"level": "high", "likelihood": 4, "severity": 3}),
    ("action_assigned", {"number": 1, "type": "corrective", "control": "engineering", "owner": "U0ZHANG",
                         "verifier": "U0LI", "due": "2026-12-07", "description": "Refit the guard and add a sensor"}),
    ("question", {"question": "Was the guard removed for cleaning?"}),
    ("answer", {"answer": "Yes, on the night shift"}),
    ("action_done", {"number": 1, "note": "Guard refitted & checked <ok>", "files": 1}),
    ("action_verified", {"number": 1}),
    ("root_cause", {"whys": 3, "cause": "Cleaning steps do not say to refit the guard"}),
    ("action_reminded", {"number": 1, "days": 2, "due": "2026-12-07"}),
    ("signed_off", {"standard": "iso45001"}),
    ("residual_risk", {"level": "low", "likelihood": 1, "severity": 3}),
)
KINDS = ("hazard", "near_miss", "incident", "environmental", "defect")
PREFIX = {"hazard": "HZ", "near_miss": "NM", "incident": "IN", "environmental": "EN", "defect": "QD"}
STANDARD_OF = {"hazard": "iso45001", "near_miss": "iso45001", "incident": "iso45001", "environmental": "iso14001",
               "defect": "iso9001"}

# The reference: the timeline's rows in the chain's order, as a bare query would stream them.
TIMELINE = """
SELECT s.seq, e.id, e.subject, e.written_at, e.stated_at, e.backdated, e.actor_id, e.kind, e.detail,
       s.content_hash, s.prev_hash, s.hash
FROM evidence_seal s JOIN evidence_entry e ON e.id = s.entry_id
WHERE s.organisation_id = {ws} AND e.domain = 'reports' ORDER BY s.seq"""


# -- seeding -----------------------------------------------------------------------------------------------------

def prepare(url: str) -> None:
    from storage import migrate
    from storage.db import Database

    if url.startswith("postgresql"):
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
    migrate.upgrade(url)


def seed(url: str, entries: int) -> int:
    """The demo plant, entries / PER_REPORT reports and their sealed timelines; the workspace's id."""
    from bot.clock import Clock
    from bot.org.orgfile import load_file
    from sandbox.demo import ORG_FILE
    from storage.db import Database
    from storage.models import EvidenceHead, Organisation, Person, Report, ReportStandard

    db = Database(url)
    with db.session() as s:
        Clock().run(load_file, s, ORG_FILE)
    with db.read() as s:
        workspace = s.scalar(select(Organisation.id))
        people = list(s.scalars(select(Person.id).where(Person.organisation_id == workspace)))
    reports = entries // PER_REPORT
    start = datetime(2025, 1, 1, tzinfo=UTC)
    report_rows, standard_rows = [], []
    for n in range(1, reports + 1):
        kind = KINDS[n % len(KINDS)]
        report_rows.append({"id": n, "organisation_id": workspace, "reference": f"{PREFIX[kind]}-2025-{n:06d}",
                            "kind": kind, "status": "closed", "description": f"Bench report {n}: guard missing",
                            "source_key": f"bench:{n}", "reporter_id": people[n % len(people)],
                            "anonymous": False, "created_at": start + timedelta(minutes=10 * n), "photos": []})
        standard_rows.append({"report_id": n, "organisation_id": workspace, "standard": STANDARD_OF[kind]})
    with db.engine.begin() as conn:
        for chunk in range(0, reports, 5000):
            conn.execute(insert(Report.__table__), report_rows[chunk:chunk + 5000])
            conn.execute(insert(ReportStandard.__table__), standard_rows[chunk:chunk + 5000])
    del report_rows, standard_rows
    columns = ("id", "organisation_id", "written_at", "stated_at", "backdated", "actor_id", "domain", "kind",
               "subject", "report_id", "action_id", "corrects_id", "detail")
    seal_columns = ("entry_id", "organisation_id", "seq", "content_hash", "prev_hash", "hash")
    with db.engine.connect() as conn:  # the chain goes on from what loading the plant sealed
        first_id = conn.scalar(text("SELECT coalesce(max(id), 0) FROM evidence_entry"))
        head = conn.execute(text("SELECT seq, hash FROM evidence_head WHERE organisation_id = :w"),
                            {"w": workspace}).first()
    previous, seq = (head.hash, head.seq) if head else (GENESIS, 0)
    entry_id = first_id

    def rows():
        nonlocal previous, seq, entry_id
        for n in range(1, reports + 1):
            kind = KINDS[n % len(KINDS)]
            filed = start + timedelta(minutes=10 * n)
            for step in range(PER_REPORT):
                seq += 1
                entry_id += 1
                entry_kind, detail = STEPS[step % len(STEPS)]
                entry = SimpleNamespace(
                    id=entry_id, organisation_id=workspace, written_at=filed + timedelta(seconds=step),
                    stated_at=filed if step == 0 else None, backdated=False,
                    actor_id=people[(n + step) % len(people)], domain="reports", kind=entry_kind,
                    subject=f"{PREFIX[kind]}-2025-{n:06d}", report_id=n, action_id=None, corrects_id=None,
                    detail=detail)
                entry_hash = hashlib.sha256(content(entry)).hexdigest()  # type: ignore[arg-type]
                sealed = link_hash(seq, previous, entry_hash)
                yield entry, (entry_id, workspace, seq, entry_hash, previous, sealed)
                previous = sealed

    if url.startswith("postgresql"):
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY evidence_entry ({', '.join(columns)}) FROM STDIN") as entry_copy:
                seals = io.StringIO()
                for entry, seal in rows():
                    entry_copy.write_row([getattr(entry, c) if c != "detail" else json.dumps(entry.detail)
                                          for c in columns])
                    seals.write("\t".join(map(str, seal)) + "\n")
            seals.seek(0)
            with cursor.copy(f"COPY evidence_seal ({', '.join(seal_columns)}) FROM STDIN") as seal_copy:
                while block := seals.read(1 << 20):
                    seal_copy.write(block)
            cursor.execute("SELECT setval('evidence_entry_id_seq', %s)", (entry_id,))
            cursor.execute("SELECT setval('report_id_seq', %s)", (reports,))
            raw.commit()
        finally:
            raw.close()
    else:
        batch_entries, batch_seals = [], []
        with db.engine.begin() as conn:
            for entry, seal in rows():
                batch_entries.append({c: getattr(entry, c) for c in columns})
                batch_seals.append(dict(zip(seal_columns, seal, strict=True)))
                if len(batch_entries) == 5000:
                    _insert_batch(conn, batch_entries, batch_seals)
            _insert_batch(conn, batch_entries, batch_seals)
    with db.engine.begin() as conn:
        if head is None:
            conn.execute(insert(EvidenceHead.__table__).values(organisation_id=workspace, seq=seq, hash=previous))
        else:
            conn.execute(update(EvidenceHead.__table__).where(EvidenceHead.organisation_id == workspace)
                         .values(seq=seq, hash=previous))
        if url.startswith("postgresql"):
            conn.execute(text("ANALYZE"))
    db.dispose()
    return workspace


def seeded(url: str, entries: int) -> int | None:
    """The workspace of a database an earlier run seeded with exactly ``entries`` timeline entries, else None."""
    from storage.db import Database

    db = Database(url)
    try:
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT organisation_id, count(*) FROM evidence_entry WHERE domain = 'reports' "
                                      "GROUP BY organisation_id")).all()
    except Exception:
        return None
    finally:
        db.dispose()
    return found[0][0] if len(found) == 1 and found[0][1] == entries else None


def _insert_batch(conn, entries: list[dict], seals: list[dict]) -> None:
    from storage.models import EvidenceEntry, EvidenceSeal

    if entries:
        conn.execute(insert(EvidenceEntry.__table__), entries)
        conn.execute(insert(EvidenceSeal.__table__), seals)
    entries.clear()
    seals.clear()


# -- measuring ---------------------------------------------------------------------------------------------------

# The measured command runs as the grandchild of a tiny launcher, which reports its rusage: a child forked from
# this process would count this process's own memory (the seeding's) in its peak, as Linux carries the high-water
# mark across fork and exec.
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak resident MB of one process (its own getrusage, from wait4), and what it printed."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file, \
            tempfile.NamedTemporaryFile("r") as peak:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, peak.name, *command], cwd=ROOT, env=env,
                                 stdout=out_file, stderr=err_file, start_new_session=True)
        try:
            code = child.wait()
        except BaseException:  # Ctrl-C or SIGTERM: the launcher and what it runs go too
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
        wall = time.monotonic() - started
        out_file.seek(0)
        err_file.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(command)} failed ({code}):\n{err_file.read().decode(errors='replace')}")
        return wall, int(peak.read()) / MB, out_file.read().decode(errors="replace")


def stream_reference(url: str, workspace: int, path: str) -> None:
    """The reference (run as a child): the same rows, streamed to CSV with no rendering at all."""
    import csv

    from storage.db import Database

    db = Database(url)
    with db.engine.connect() as conn, open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        result = conn.execution_options(yield_per=2000).execute(text(TIMELINE.format(ws=workspace)))
        for row in result:
            writer.writerow(row)
    db.dispose()


def summary(values: list[float]) -> str:
    return f"{min(values):8.1f} {statistics.median(values):8.1f} {max(values):8.1f}"


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)  # a SIGTERM (a CI timeout) unwinds like Ctrl-C: no export left running
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"),
                        default="postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite")
    parser.add_argument("--entries", type=int, help="timeline entries to seed (default 1,000,000; SQLite 100,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database an earlier run seeded with as many entries (PostgreSQL)")
    parser.add_argument("--reference-stream", nargs=3, metavar=("URL", "WORKSPACE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_stream:
        url, workspace, path = args.reference_stream
        stream_reference(url, int(workspace), path)
        return 0
    if args.database == "postgresql":
        url = os.environ.get("BENCH_DATABASE_URL")
        if not url:
            raise SystemExit("BENCH_DATABASE_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
                             "bench_export)")
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='triad-bench-export-')) / 'bench.sqlite3'}"
    entries = args.entries or (1_000_000 if args.database == "postgresql" else 100_000)
    workspace = seeded(url, entries) if args.reuse else None
    if workspace is None:
        print(f"[{args.database}] seeding {entries:,} sealed timeline entries ...", flush=True)
        started = time.monotonic()
        prepare(url)
        workspace = seed(url, entries)
        print(f"[{args.database}] seeded in {time.monotonic() - started:.0f} s (not measured)", flush=True)

    work = Path(tempfile.mkdtemp(prefix="triad-bench-export-out-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
    runs: dict[str, list[tuple[float, float]]] = {}
    commands = {
        "reference: bare stream": [sys.executable, str(Path(__file__)), "--reference-stream", url, str(workspace),
                                   str(work / "reference.csv")],
        "export CSV": [sys.executable, "-m", "bot", "export", "--what", "timeline", "--out", str(work / "t.csv")],
        "export XLSX": [sys.executable, "-m", "bot", "export", "--what", "timeline", "--out", str(work / "t.xlsx")],
    }
    psql = shutil.which("psql")
    if url.startswith("postgresql") and psql:
        from sqlalchemy.engine import make_url

        plain_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        copy = f"\\copy ({' '.join(TIMELINE.format(ws=workspace).split())}) TO '{work / 'copy.csv'}' CSV"
        commands = {"floor: psql COPY": [psql, plain_url, "-q", "-c", copy], **commands}
    missed = []
    for round_number in range(1, args.rounds + 1):
        names = list(commands) if round_number % 2 else list(reversed(commands))  # alternate who goes first
        for name in names:
            wall, peak, said = run_child(commands[name], env)
            runs.setdefault(name, []).append((wall, peak))
            print(f"  round {round_number} {name:24} {wall:7.1f} s {peak:7.0f} MB", flush=True)
            if name.startswith("export") and f"{entries:,} timeline" not in said:
                missed.append(f"{name} wrote: {said.strip()}")
            if name.startswith("export") and peak >= TARGET_MB:
                missed.append(f"{name} peaked at {peak:.0f} MB (target under {TARGET_MB} MB)")
    reference = [w for w, _ in runs["reference: bare stream"]]
    reference_mb = [m for _, m in runs["reference: bare stream"]]
    print(f"\n[{args.database}] {entries:,} timeline entries, {args.rounds} rounds: min / median / max")
    print(f"  {'':24} {'wall s':>26} {'peak MB':>26}   time x reference   memory x reference")
    for name, values in runs.items():
        walls, peaks = [w for w, _ in values], [m for _, m in values]
        ratios = [w / r for w, r in zip(walls, reference, strict=True)]
        memory = [m / r for m, r in zip(peaks, reference_mb, strict=True)]
        print(f"  {name:24} {summary(walls)} {summary(peaks)}   {summary(ratios)} {summary(memory)}")
    sizes = {p.name: p.stat().st_size / 1e6 for p in work.iterdir()}
    print("  files: " + ", ".join(f"{name} {size:.0f} MB" for name, size in sorted(sizes.items())))
    print(f"  target: every export's peak memory under {TARGET_MB} MB: " + ("met" if not missed else "MISSED"))
    for line in missed:
        print(f"    {line}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
