"""``python -m bot``: run Triad, or one of the operators' subcommands. Each has --help."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from bot import config
from bot.config import ConfigError, Settings

log = logging.getLogger("triad")
CLOCK_WATCH = 0.2  # seconds: how soon the clock process sees a message a web process with TRIAD_OUTBOX=off wrote


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = config.load()
        _logging(settings, quiet=args.command in (None, "run", "sandbox") and settings.is_sandbox)
        return args.func(settings, args)
    except ConfigError as exc:
        print(f"triad: configuration error: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"triad: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


class StartupError(Exception):
    """A problem the operator can fix, said in one line."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Triad: an ISO 9001 / 14001 / 45001 assistant for Slack. With no subcommand it runs the "
                    "bot: HTTP mode with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, Socket Mode when "
                    "SLACK_APP_TOKEN is also set, and the local sandbox when no Slack token is set.")
    parser.set_defaults(func=_run, command=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (the default)",
                         description="Run the bot in the mode the settings choose.")
    run.set_defaults(func=_run)

    sandbox = sub.add_parser("sandbox", help="the local sandbox: try Triad in the terminal without Slack",
                             description="Open the local sandbox: a Slack emulator in the terminal, a demo "
                                         "organisation and its own SQLite file (var/sandbox.sqlite3).")
    sandbox.add_argument("script", nargs="?",
                         help="read commands from this file ('-' for standard input) instead of the keyboard")
    sandbox.add_argument("--fresh", action="store_true", help="start from an empty sandbox database")
    sandbox.add_argument("--empty", action="store_true",
                         help="start as a plant that has just installed Triad: a fresh database, no organisation "
                              "file (set it up in Slack with /triad setup)")
    sandbox.set_defaults(func=_sandbox)

    clock = sub.add_parser("clock", help="run the scheduler and the outbox alone (the Procfile's clock: process)",
                           description="Run the scheduler (reminders, escalations, digests) and deliver the outbox. "
                                       "Use it with TRIAD_SCHEDULER=off and TRIAD_OUTBOX=off on the web processes, "
                                       "which then only answer Slack.")
    clock.set_defaults(func=_clock)

    db = sub.add_parser("db", help="database schema: upgrade or status",
                        description="Manage the database schema (Alembic).")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="bring the schema up to date (the Procfile's release: step)",
                           description="Apply every pending migration. Safe to run again.")
    up.set_defaults(func=_db_upgrade)
    status = db_sub.add_parser("status", help="show the schema revision",
                               description="Show whether the schema is up to date.")
    status.set_defaults(func=_db_status)

    org = sub.add_parser("org", help="organisation file: check or load",
                         description="Departments, sites, people and roles from a YAML file (see examples/org.yml).")
    org_sub = org.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    for name, func, text in (("check", _org_check, "check a file without changing anything"),
                             ("load", _org_load, "check a file, then load it (all or nothing)")):
        p = org_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("file", type=Path, help="the organisation file, e.g. examples/org.yml")
        p.add_argument("--lang", choices=("en", "zh"), default="en",
                       help="the language problems are told in (en or zh; default en)")
        if name == "load":
            _team_option(p)
        p.set_defaults(func=func)

    procedures = sub.add_parser(
        "procedures", help="the procedure register as a file: check, load or export",
        description="Controlled procedures from a YAML file kept in git (see examples/procedures.yml), checked with "
                    "the rules /procedures uses in Slack, or the register written as one.")
    procedures_sub = procedures.add_subparsers(dest="procedures_command", metavar="ACTION", required=True)
    for name, text in (("check", "check a file against the register without changing anything"),
                       ("load", "check a file, then load it (all or nothing): a published version is sent to its "
                                "audience")):
        p = procedures_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("file", type=Path, help="the register file, e.g. examples/procedures.yml")
        p.add_argument("--lang", choices=("en", "zh"), default="en",
                       help="the language problems are told in (en or zh; default en)")
        _team_option(p)
        p.set_defaults(func=_procedures_file)
    p = procedures_sub.add_parser("export", help="write the register as a file that loads back unchanged",
                                  description="Write the register as a file: each code's version in force, else its "
                                              "draft, else its last version, and the reminder schedule.")
    p.add_argument("file", type=Path, nargs="?", help="the file to write (default: standard output)")
    _team_option(p)
    p.set_defaults(func=_procedures_export)

    questions = sub.add_parser(
        "questions", help="the question bank as files: check them",
        description="The question bank of micro-training and the procedures' checks, kept as YAML files (see "
                    "examples/questions/).")
    questions_sub = questions.add_subparsers(dest="questions_command", metavar="ACTION", required=True)
    p = questions_sub.add_parser("check", help="check question files (or folders of them) without a database",
                                 description="Check question files, or folders of .yml files: every problem with "
                                             "its file and line.")
    p.add_argument("files", type=Path, nargs="+", help="files or folders, e.g. examples/questions")
    p.set_defaults(func=_questions_check)

    evidence = sub.add_parser("evidence", help="the evidence log: verify its hash chain",
                              description="The tamper-evident evidence log (README: For auditors).")
    evidence_sub = evidence.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)
    verify = evidence_sub.add_parser(
        "verify", help="walk the hash chain and name every edited, deleted or inserted entry",
        description="Walk each workspace's hash chain: every entry against its seal, every seal against the one "
                    "before, and the heads published in TRIAD_EVIDENCE_HEADS against the chain. Exits 1 on a break.")
    verify.add_argument("--team", metavar="TEAM_ID", help="only this workspace (its Slack team id)")
    verify.add_argument("--heads", metavar="FILE", type=Path,
                        help="the published heads to check against (default: TRIAD_EVIDENCE_HEADS)")
    verify.set_defaults(func=_evidence_verify)

    export = sub.add_parser(
        "export", help="export reports, actions, timelines and the evidence log for an auditor (XLSX or CSV)",
        description="Write an export an auditor can check against the evidence chain: each row with the ISO clauses "
                    "it serves and its chain seq and hashes. The format follows --out: .xlsx, .csv (one sheet) or "
                    ".zip (one CSV per sheet).")
    export.add_argument("--team", metavar="TEAM_ID",
                        help="the Slack workspace (its team id), when Triad serves several")
    export.add_argument("--what", metavar="SHEETS",  # (not imported here: the gunicorn master stays small)
                        help="the sheets, comma-separated: reports, actions, timeline, evidence, flags (default: all)")
    export.add_argument("--since", metavar="YYYY-MM-DD", help="from this day, in the workspace's time zone")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="to this day, inclusive")
    export.add_argument("--standard", metavar="STANDARD",
                        help="only reports tagged to it: iso9001 (quality), iso14001 (environment), iso45001 (safety)")
    export.add_argument("--department", metavar="CODE", help="only the reports of this department (its code)")
    export.add_argument("--lang", choices=("en", "zh"), default="en", help="the language of headings and words")
    export.add_argument("--out", metavar="FILE", type=Path,
                        help="the file to write (default: triad-export-<today>.xlsx here)")
    export.set_defaults(func=_export)
    return parser


def _team_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", metavar="TEAM_ID",
                        help="the Slack workspace (its team id, e.g. T0123ABCD), when Triad serves several")


def _logging(settings: Settings, *, quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else getattr(logging, settings.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler"):  # one line per migration step / job run is noise
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _database(settings: Settings, *, upgrade: bool = False):
    from storage import migrate
    from storage.db import Database

    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    if not db.ping():
        raise StartupError(f"cannot reach the database at {db.engine.url.render_as_string(hide_password=True)}: "
                           "check DATABASE_URL and that the server is running.")
    if upgrade:
        migrate.upgrade(settings.database_url)
    elif not migrate.is_up_to_date(db.engine):
        raise StartupError("the database schema is behind this version of Triad: run `python -m bot db upgrade` "
                           "(the Procfile's release step does it on deploy).")
    return db


def _run(settings: Settings, args) -> int:
    if settings.is_sandbox:
        return _sandbox(settings, argparse.Namespace(script=None, fresh=False, empty=False))
    if settings.mode == "socket":
        _database(settings).dispose()
        return _socket_mode(settings)
    # The gunicorn master only forks and watches: the database and migration code is checked in a
    # child that exits, so the master stays small and each worker loads only what it uses.
    if (status := _in_child(lambda: _database(settings).dispose())) != 0:
        return status
    from bot.server import run_gunicorn

    log.info("Triad HTTP mode on port %s: Slack requests at /slack/events, health at /healthz", settings.port)
    run_gunicorn(settings, lambda: _serve_process(settings), worker_exit=_worker_exit)
    return 0


def _in_child(work) -> int:
    """Run ``work`` in a forked child and return its exit status (a StartupError is printed there)."""
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            work()
        except StartupError as exc:
            print(f"triad: {exc}", file=sys.stderr)
            status = 1
        except BaseException:
            log.exception("start-up check failed")
            status = 1
        finally:
            sys.stderr.flush()
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


_served = None  # this worker process's runtime, for gunicorn's exit hook


def _serve_process(settings: Settings):
    """Build one worker process: runtime, Bolt app, outbox worker, scheduler."""
    from bot import runtime as rt
    from bot.app import create_app
    from bot.server import wsgi_app

    global _served
    runtime = _served = rt.build(settings)
    app = create_app(runtime)
    if settings.outbox == "embedded":
        runtime.start_worker()
    if settings.scheduler == "embedded":
        from bot.scheduler import Scheduler

        runtime.scheduler = Scheduler(runtime)
        runtime.scheduler.start()
    return wsgi_app(runtime, app)


def _worker_exit(server, worker) -> None:
    """gunicorn's hook once a worker has finished its requests (SIGTERM on a deploy): the outbox's deliveries
    in flight finish (or stay marked as possibly sent), and the scheduler lease is let go."""
    if _served is not None:  # else the worker died before it built its runtime
        _served.close(grace=10.0)


def _exit_on_sigterm() -> None:
    """SIGTERM (a deploy, `kill`) unwinds like Ctrl-C, so that the outbox stops gracefully in ``finally``."""
    def leave(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def _socket_mode(settings: Settings) -> int:
    from bot import runtime as rt
    from bot.app import create_app
    from bot.server import socket_mode_handler

    _exit_on_sigterm()
    runtime = rt.build(settings)
    app = create_app(runtime)
    if settings.outbox == "embedded":
        runtime.start_worker()
    if settings.scheduler == "embedded":
        from bot.scheduler import Scheduler

        runtime.scheduler = Scheduler(runtime)
        runtime.scheduler.start()
    log.info("Triad Socket Mode: connecting to Slack")
    try:
        socket_mode_handler(runtime, app, settings.app_token).start()
    finally:
        runtime.close()
    return 0


def _sandbox(settings: Settings, args) -> int:
    if not settings.is_sandbox:
        raise StartupError("the sandbox runs without Slack tokens: unset SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET "
                           "/ SLACK_APP_TOKEN (or use another shell) to open it.")
    from sandbox.console import run_sandbox

    _exit_on_sigterm()
    return run_sandbox(settings, script=args.script, fresh=args.fresh, empty=args.empty)


def _clock(settings: Settings, args) -> int:
    from bot import runtime as rt
    from bot.scheduler import Scheduler

    _database(settings).dispose()
    runtime = rt.build(settings)
    runtime.scheduler = scheduler = Scheduler(runtime)
    # SIGTERM (a deploy) ends the loop below rather than raising inside whatever runs when it arrives: an
    # exception raised in a garbage-collection callback is only printed, and the clock never stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: scheduler.stop_soon())
    # What the jobs owe goes out at once; so does what web processes with TRIAD_OUTBOX=off commit, which
    # cannot wake this process: it watches for new messages instead.
    runtime.start_worker(watch=CLOCK_WATCH)
    log.info("Triad clock: running scheduled jobs")
    try:
        runtime.scheduler.run_forever()
    finally:
        runtime.close()
        log.info("Triad clock: stopped")
    return 0


def _db_upgrade(settings: Settings, args) -> int:
    _database(settings, upgrade=True).dispose()
    print("The database schema is up to date.")
    return 0


def _db_status(settings: Settings, args) -> int:
    from storage import migrate
    from storage.db import Database

    db = Database(settings.database_url)
    if not db.ping():
        raise StartupError("cannot reach the database: check DATABASE_URL.")
    current, head = migrate.current_revision(db.engine), migrate.head_revision(settings.database_url)
    print(f"schema revision {current or 'none'}; this version of Triad needs {head}: "
          + ("up to date." if current == head else "run `python -m bot db upgrade`."))
    return 0 if current == head else 1


def _problems(problems: list[str]) -> int:
    print("\n".join(problems), file=sys.stderr)
    print(f"{len(problems)} problem(s): nothing was changed.", file=sys.stderr)
    return 1


def _questions_check(settings: Settings, args) -> int:
    from collections import Counter

    from bot.training import bankfile

    try:
        found = bankfile.read(bankfile.files_of(args.files))
    except bankfile.BankFileError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        print(f"{len(exc.problems)} problem(s).", file=sys.stderr)
        return 1
    by_standard = Counter(s.name.lower() for q in found for s in q.standards)
    print(f"{len(found)} questions, all good: " + ", ".join(f"{n} {name}" for name, n in sorted(by_standard.items()))
          + f"; {sum(q.critical for q in found)} critical.")
    return 0


def _org_check(settings: Settings, args) -> int:
    from bot.i18n import Reader
    from bot.org.orgfile import OrgFileError, parse

    try:
        spec = parse(args.file.read_text(encoding="utf-8"), str(args.file), Reader(lang=args.lang))
    except OSError as exc:
        raise StartupError(f"{args.file}: cannot be read ({exc.strerror}).") from None
    except OrgFileError as exc:
        return _problems(exc.problems)
    print(f"{args.file} is valid: {len(spec.departments)} departments, {len(spec.sites)} sites, "
          f"{len(spec.people)} people.")
    return 0


def _workspace_to_load(db, team: str | None) -> int | None:
    """The organisation ``--team`` names; None for the only one (a single-workspace install)."""
    from sqlalchemy import select

    from storage.models import Organisation

    with db.read() as s:
        teams = dict(s.execute(select(Organisation.team_id, Organisation.id).order_by(Organisation.id)).all())
    if team is None:
        if len(teams) > 1:
            raise StartupError("Triad serves several workspaces: say which with --team "
                               f"({', '.join(str(t) for t in teams if t)}).")
        return None
    if team not in teams:
        known = ", ".join(str(t) for t in teams if t) or "none"
        raise StartupError(f"Triad serves no workspace {team}: known are {known}.")
    return teams[team]


def _evidence_verify(settings: Settings, args) -> int:
    from sqlalchemy import select

    from bot.evidence import heads
    from bot.evidence.verify import verify
    from storage.models import Organisation

    db = _database(settings)
    with db.read() as s:
        orgs = [(o.id, o.name, o.team_id) for o in s.scalars(select(Organisation).order_by(Organisation.id))]
    if args.team is not None:
        orgs = [o for o in orgs if o[2] == args.team]
        if not orgs:
            raise StartupError(f"Triad serves no workspace {args.team}.")
    heads_file = args.heads if args.heads is not None else settings.evidence_heads_file
    broken = 0
    for workspace, name, team in orgs:
        published = heads.read_file(heads_file, workspace)
        with db.read(workspace) as s:
            result = verify(s, published)
        where = f"{name} ({team})" if team else name
        print(f"{where}: {result.entries} entries, head seq {result.head_seq} {result.head_hash[:16]}…, "
              f"{len(published)} published heads checked: "
              + ("intact." if result.intact else f"{len(result.breaks)} break(s):"))
        for found in result.breaks:
            print(f"  {found.describe()}")
        broken += len(result.breaks)
    return 1 if broken else 0


def _org_load(settings: Settings, args) -> int:
    from bot.clock import Clock
    from bot.i18n import Reader
    from bot.org.orgfile import OrgFileError, load_file

    db = _database(settings, upgrade=settings.is_sandbox)
    try:
        with db.session(_workspace_to_load(db, args.team)) as s:  # no runtime here: a real clock of its own
            summary = Clock().run(load_file, s, args.file, Reader(lang=args.lang))
    except OrgFileError as exc:
        return _problems(exc.problems)
    print(f"Loaded {args.file}: {summary.departments} departments, {summary.sites} sites with "
          f"{summary.locations} locations, {summary.people} people.")
    return 0


def _procedures_file(settings: Settings, args) -> int:
    """``procedures check`` and ``procedures load``: the same checks, then ``load`` writes."""
    from bot.clock import Clock
    from bot.i18n import Reader
    from bot.procedures import registerfile

    loading = args.procedures_command == "load"
    db = _database(settings, upgrade=settings.is_sandbox)
    try:  # no runtime here: a real clock of its own
        summary = Clock().run(registerfile.load_file if loading else registerfile.check_file, db, args.file,
                              workspace=_workspace_to_load(db, args.team), check_links=settings.check_links,
                              reader=Reader(lang=args.lang))
    except registerfile.RegisterFileError as exc:
        return _problems(exc.problems)
    finally:
        db.dispose()
    print(f"Loaded {args.file}:" if loading else f"{args.file} is valid. Loading it would:")
    _register_lines(summary, would=not loading)
    return 0


def _register_lines(summary, *, would: bool) -> None:
    """What a register file did to the register (or would do), one line per kind of change."""
    published = [f"{name} ({asked} {'person' if asked == 1 else 'people'} asked to read it)"
                 for name, asked in summary.published]
    for done, to_do, names in (("saved as drafts", "save as drafts", summary.drafts),
                               ("published", "publish", published), ("retired", "retire", summary.retired),
                               ("unchanged", "leave unchanged", summary.unchanged)):
        if names:
            print(f"  {to_do if would else done}: {', '.join(names)}")
    if summary.reminders:
        print("  change the reminder schedule" if would else "  the reminder schedule changed")
    if not (summary.changed or summary.unchanged):
        print("  nothing to change")


def _procedures_export(settings: Settings, args) -> int:
    from bot.clock import Clock
    from bot.procedures import service
    from bot.procedures.registerfile import export

    db = _database(settings)
    try:
        with db.read(_workspace_to_load(db, args.team)) as s:
            text, count = Clock().run(export, s), len(service.register(s))
    finally:
        db.dispose()
    if args.file is None:
        sys.stdout.write(text)
        return 0
    try:
        args.file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StartupError(f"{args.file}: cannot be written ({exc.strerror}).") from None
    print(f"Wrote {args.file}: the register of {count} procedures.")
    return 0


STANDARD_WORDS = {"iso9001": "iso9001", "9001": "iso9001", "quality": "iso9001", "qms": "iso9001",
                  "iso14001": "iso14001", "14001": "iso14001", "environment": "iso14001", "ems": "iso14001",
                  "iso45001": "iso45001", "45001": "iso45001", "safety": "iso45001", "ohs": "iso45001"}
EXPORT_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".zip": "csv"}


class BadInput(Exception):
    """An argument that cannot be used, said in one line (exit status 2, as argparse's own)."""


def _export(settings: Settings, args) -> int:
    try:
        return _export_checked(settings, args)
    except BadInput as exc:
        print(f"triad: {exc}", file=sys.stderr)
        return 2


def _export_checked(settings: Settings, args) -> int:
    import tempfile
    from datetime import date

    from sqlalchemy import select

    from bot.clock import Clock
    from bot.evidence import export
    from storage.models import Department, Standard

    def day(option: str, value: str | None) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise BadInput(f"{option}: {value} is not a date (YYYY-MM-DD)") from None

    since, until = day("--since", args.since), day("--until", args.until)
    if since and until and until < since:
        raise BadInput(f"--until: the period ends ({until}) before it starts ({since})")
    standard = None
    if args.standard:
        code = STANDARD_WORDS.get(args.standard.strip().lower().replace(" ", "").replace("-", ""))
        if code is None:
            raise BadInput(f"--standard: no standard {args.standard} (iso9001, iso14001, iso45001, or quality, "
                           "environment, safety)")
        standard = Standard(code)
    try:
        sheets = export.sheets_of(args.what.split(",")) if args.what else export.SHEETS
    except export.ExportError as exc:
        raise BadInput(f"--what: {exc}") from None
    out: Path | None = args.out
    if out is not None:
        if out.suffix.lower() not in EXPORT_FORMATS:
            raise BadInput(f"--out: {out} names no format: end it in .xlsx, .csv (one sheet) or .zip (CSV files)")
        if out.suffix.lower() == ".csv" and len(sheets) > 1:
            raise BadInput(f"--out: {out} holds one sheet, and {len(sheets)} are asked for: name a .zip, or choose "
                           "one with --what")
        if not out.parent.is_dir():
            raise BadInput(f"--out: no folder {out.parent}")
    db = _database(settings)
    try:
        try:
            workspace = _workspace_to_load(db, args.team)
        except StartupError as exc:
            raise BadInput(f"--team: {exc}") from None
        with db.read(workspace) as s:
            from storage.workspaces import workspace_of

            workspace = workspace_of(s)
            if workspace is None:
                raise StartupError("there is nothing to export yet: no organisation in this database.")
            department_id = None
            if args.department:
                department_id = s.scalar(select(Department.id).where(Department.code == args.department))
                if department_id is None:
                    codes = ", ".join(s.scalars(select(Department.code).order_by(Department.code))) or "none"
                    raise BadInput(f"--department: no department {args.department} (known: {codes})")
        request = export.ExportRequest(sheets=sheets, since=since, until=until, standard=standard,
                                       department_id=department_id,
                                       format=EXPORT_FORMATS[out.suffix.lower()] if out else "xlsx",
                                       language=args.lang)
        target_dir = out.parent if out else Path.cwd()
        # Written beside its name and renamed when complete: a failure leaves no half file.
        handle, name = tempfile.mkstemp(dir=target_dir, prefix=".triad-export-")
        os.close(handle)
        part = Path(name)
        try:
            with part.open("wb") as stream:
                summary = Clock().run(export.write, db, workspace, request, stream)
        except export.ExportError as exc:
            part.unlink()
            raise BadInput(str(exc)) from None
        except BaseException:
            part.unlink()
            raise
        final = out or target_dir / summary.filename
        part.replace(final)
    finally:
        db.dispose()
    counts = ", ".join(f"{n:,} {sheet}" for sheet, n in summary.rows.items())
    print(f"Wrote {final}: {counts}.")
    return 0
