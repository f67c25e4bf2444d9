"""The sandbox: Triad in the terminal, without Slack tokens (``python -m bot`` or ``python -m bot sandbox``).

It starts the whole app on loopback (``Harness``: Slack emulator, the real Bolt app behind the
real WSGI server, a signed driver) and hands each typed line to a ``Session``. Commands come
from the keyboard (with readline history), or from a file or standard input, echoed with their
prompt so that a replay reads like a transcript.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from bot import shipped
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Reader, plain
from sandbox import demo
from sandbox.commands import COMMANDS, manifest
from sandbox.harness import Harness
from sandbox.session import Session

EXIT_WORDS = ("quit", "exit")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_sandbox(settings: Settings, script: str | None, fresh: bool, *, empty: bool = False,
                stdin: TextIO | None = None, stdout: TextIO | None = None, clock: Clock | None = None) -> int:
    """Open the sandbox; returns the exit status (1 when a replayed line could not be carried out).

    ``empty``: a fresh database and no organisation file, as a plant that has just installed Triad.
    ``clock``: the sandbox's time (tests start it at a known moment); real time unless given.
    """
    fresh = fresh or empty
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    interactive = script is None and stdin.isatty()
    database = _sqlite_file(settings.database_url)
    notes = []
    if fresh and database is None:
        notes.append("fresh_not_sqlite")
    elif fresh and database is not None:
        for leftover in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        if settings.evidence_heads_file:  # the old database's heads: a new chain would seem rewritten
            Path(settings.evidence_heads_file).unlink(missing_ok=True)
    elif database is not None and database.exists():
        notes.append("earlier_run")
    lines = None
    if not interactive:
        lines = _script_lines(script, stdin)
        if lines is None:
            stdout.write(plain(Reader(), "sandbox.cannot_read", path=script) + "\n")
            return 2
    var = database.parent if database else Path("var")
    var.mkdir(parents=True, exist_ok=True)
    with _logs_to(var / "sandbox.log"):
        # Each demo workspace installs Triad as a plant would, through Slack's OAuth flow.
        harness = Harness(settings, org_file=None if empty else demo.ORG_FILE, installs=True, clock=clock,
                          procedures_file=None if empty else demo.PROCEDURES_FILE).start()
        try:
            harness.install_demo()
            colour = stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
            width = min(shutil.get_terminal_size().columns, 120) if stdout.isatty() else 100
            session = Session(harness, stdout, colour=colour, width=width, files=var / "sandbox-files")
            if interactive:
                _banner(session)
            else:
                session.say("replaying", "dim", name="stdin" if script in (None, "-") else script)
            for note in notes:
                session.say(note, "dim", path=database)
            if lines is None:
                return _interactive(session, var / "sandbox_history")
            return _replay(session, lines)
        except BrokenPipeError:  # e.g. `… sandbox demo.txt | head`: the reader has gone, so stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
            return 0
        finally:
            harness.stop()


def _sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _script_lines(script: str | None, stdin: TextIO) -> Iterable[str] | None:
    """The lines to replay: standard input as it comes (a pipe may still be writing), or a file."""
    if script in (None, "-"):
        return stdin
    path = Path(script)
    if not path.exists() and (shipped.path("examples") / path.name).is_file():
        path = shipped.path("examples") / path.name  # an installed Triad's own demos, e.g. examples/demo-reports.txt
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None


def _replay(session: Session, lines: Iterable[str]) -> int:
    failed = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or _is_comment(line):
            continue
        handle, where = session.prompt()
        session.emit([f"{session.style(f'{handle}@{where}>', 'bold', 'cyan')} {line}"])
        if line.lower() in EXIT_WORDS:
            break
        if not session.run(line):
            failed.append(number)
    if failed:
        session.say("script_failures", "red", count=len(failed), lines=", ".join(map(str, failed)))
        return 1
    return 0


def _is_comment(line: str) -> bool:
    """``# a note``; ``#stamping`` opens a channel."""
    return line == "#" or line.startswith(("# ", "#!", "##"))


def _interactive(session: Session, history: Path) -> int:
    with _readline(history, session):
        while True:
            handle, where = session.prompt()
            try:
                line = input(_prompt(session, f"{handle}@{where}> ")).strip()
            except EOFError:
                session.emit([""])
                return 0
            except KeyboardInterrupt:
                session.emit([""])
                continue
            if line.lower() in EXIT_WORDS:
                return 0
            if not line or _is_comment(line):
                continue
            try:
                session.run(line)
            except KeyboardInterrupt:
                session.say("interrupted", "dim")


def _prompt(session: Session, text: str) -> str:
    """The prompt, coloured; readline must be told that colour codes take no room (\\001…\\002)."""
    return _ANSI.sub("\001\\g<0>\002", session.style(text, "bold", "cyan"))


def _banner(session: Session) -> None:
    user, reader = session.user, session.reader
    session.say("banner.title", "bold")
    session.say("banner.what")
    session.say("banner.you", name=user.name_zh if reader.lang == "zh" else user.name_en, handle=user.handle,
                about=user.about_zh if reader.lang == "zh" else user.about_en, channel=demo.CHANNELS[session.channel],
                workspace=session.workspace.name)
    session.say("banner.try")
    for key in ("try_help", "try_home", "try_zhang", "try_lakeside"):
        session.emit(["  " + session.word(f"banner.{key}")])
    session.say("banner.more")
    session.say("banner.demos", "dim")


def completions(session: Session) -> list[str]:
    """What Tab completes: command words, handles, slash commands, and the channels of the workspace you are in."""
    return sorted({*COMMANDS, *(u.handle for u in demo.PEOPLE), *manifest()["commands"],
                   *("#" + name for name in session.workspace.channels.values())})


@contextmanager
def _readline(history: Path, session: Session) -> Iterator[None]:
    """Line editing, history across runs and tab completion of command words, where readline exists."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        yield
        return
    with suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    readline.set_completer(lambda text, state: ([w for w in completions(session) if w.startswith(text)]
                                                + [None])[state])
    readline.set_completer_delims(" ")
    readline.parse_and_bind("tab: complete")
    try:
        yield
    finally:
        with suppress(OSError):
            readline.write_history_file(history)


@contextmanager
def _logs_to(path: Path) -> Iterator[None]:
    """Keep the terminal for the conversation: log lines go to a file for the session."""
    root = logging.getLogger()
    terminal = [h for h in root.handlers
                if type(h) is logging.StreamHandler and getattr(h, "stream", None) in (sys.stderr, sys.stdout)]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for handler in terminal:
        root.removeHandler(handler)
    root.addHandler(to_file)
    try:
        yield
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for handler in terminal:
            root.addHandler(handler)
