"""One console session: who you are in the emulated Slack, what you see, and what each line does.

``Session.run(line)`` carries out one line as the person at the keyboard would in Slack (through
the driver, so the real app answers; the commands are in ``sandbox.commands``), waits for the
app to settle, and shows what the current user can now see. Every word comes from
``prompts/<lang>/sandbox.yml``, in the current user's language.
"""
from __future__ import annotations

import difflib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.error import URLError

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.i18n import Reader, language_for_locale, when, zone
from sandbox import commands, demo, forms, live, render
from sandbox.commands import Problem
from sandbox.driver import Response
from sandbox.harness import Harness
from storage.models import Report

log = logging.getLogger(__name__)
START_USER = "zhao"
_NUMBERED = re.compile(r"\[\d+\]")  # a line with something to press on it
# The code an anonymous reporter is shown once, as Triad words it: `/report follow ABCD-EFGH`.
_FOLLOW_CODE = re.compile(r"/report follow ([A-Z0-9]{4}-[A-Z0-9]{4})")
CODE_VARIABLE = "$code"


class Session:
    """The person at the keyboard: which demo user they are, where they are, and what is on their screen."""

    def __init__(self, harness: Harness, out: TextIO, *, colour: bool = False, width: int = 100,
                 files: Path = Path("var") / "sandbox-files") -> None:
        self.harness, self.emulator, self.driver = harness, harness.emulator, harness.driver
        self.files = files  # where the files Triad shares in DMs are written, to be opened
        self.out, self.colour, self.width = out, colour, width
        self.user = next(u for u in demo.PEOPLE if u.handle == START_USER)
        self.channel = demo.PLANT.start_channel
        self.left_in: dict[str, str] = {}  # team id -> the channel last open there, for coming back
        self.locales = {u.slack_id: u.locale for u in demo.PEOPLE}
        self.inbox = live.Inbox(self.emulator, harness.clock)
        self.controls: dict[int, render.Control] = {}  # what `press <n>` means now
        self.surface: dict[int, render.Control] = {}  # the numbers of the last messages shown, under any form
        self.listed: dict[int, dict[str, Any]] = {}  # what `thread <n>` and `shortcut … on <n>` mean
        self.values: dict[str, dict[str, Any]] = {}  # view id -> block_id -> value typed into a modal
        self.errors: dict[str, dict[str, str]] = {}  # view id -> block_id -> the app's error
        self.read: dict[str, set[tuple[str, str]]] = {}  # user -> (channel, ts) of each message they have seen
        self.outage = False
        self.follow_code: str | None = None  # the last follow-up code Triad showed: what `$code` stands for
        self._start_line()

    def _start_line(self) -> None:
        """What a line starts from: nothing shown yet, the modal as it is."""
        self.screen = render.Numbering()  # the numbers of the surfaces this line shows
        self.modal_numbering: render.Numbering | None = None
        self.modal_before = self.modal_key()
        self.home_requested = False
        self.pressed: tuple[str, str] | None = None  # (channel, ts) of the message this line pressed on

    def become(self, user: demo.DemoUser) -> None:
        """Act as another demo user: nothing on the screen is theirs to press yet. In another workspace, they are
        where the console last was there."""
        left = self.workspace
        self.user, self.controls, self.surface, self.listed = user, {}, {}, {}
        self.modal_before = self.modal_key()
        if self.emulator.dm_user(self.channel):  # in a DM: now the new person's own
            self.channel = self.emulator.dm_channel(self.me)
        elif self.workspace is not left:
            self.left_in[left.team_id] = self.channel
            self.channel = self.left_in.get(self.workspace.team_id, self.workspace.start_channel)

    # -- who reads, and how ------------------------------------------------------------------------

    @property
    def me(self) -> str:
        return self.user.slack_id

    @property
    def workspace(self) -> demo.DemoWorkspace:
        return demo.workspace_of(self.user)

    @property
    def organisation(self) -> int | None:
        """The organisation Triad serves the user's workspace as: what the console's own reads are about."""
        return self.harness.organisation(self.workspace.team_id)

    def workspace_about(self, workspace: demo.DemoWorkspace) -> str:
        """What the workspace is: the demo plant loaded from its file, or a plant new to Triad (also the demo plant,
        with --empty)."""
        loaded = workspace is demo.PLANT and self.harness.org_file is not None
        return self.word("workspace_loaded") if loaded else self.word("workspace_new")

    @property
    def reader(self) -> Reader:
        locale = self.locales[self.me]
        return Reader(language_for_locale(locale), self.user.tz, locale)

    def context(self, width: int | None = None) -> render.Context:
        return render.Context(self.reader, self.names(), self.workspace.channels, self.me, self.colour,
                              width or self.width, self.save_file)

    def save_file(self, shared: Mapping[str, Any]) -> str | None:
        """A file Triad shared in a DM (an export), written under ``files`` once: the path, or None for others."""
        if shared.get("user") != self.emulator.bot_user_id or not any(
                self.emulator.dm_user(str(c)) for c in shared.get("channels") or []):
            return None
        content = self.emulator.file_content(str(shared.get("id")))
        if content is None:
            return None
        name = Path(str(shared.get("name") or "file")).name
        path = self.files / f"{shared.get('id')}-{name}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return str(path)

    def names(self) -> dict[str, str]:
        chinese = self.reader.lang == "zh"
        names = {u.slack_id: u.name_zh if chinese else u.name_en for u in demo.PEOPLE}
        names[self.emulator.bot_user_id] = "Triad"
        return names

    def directory(self) -> forms.Directory:
        today = self.harness.clock.now().astimezone(zone(self.user.tz)).date()
        return forms.Directory({u.handle: u.slack_id for u in self.workspace.users}, self.names(),
                               self.workspace.channels, self.user.tz, today)

    def prompt(self) -> tuple[str, str]:
        """Who and where: ``("zhang", "#stamping")``."""
        where = "dm" if self.emulator.dm_user(self.channel) else "#" + demo.CHANNELS[self.channel]
        return self.user.handle, where

    # -- output ------------------------------------------------------------------------------------

    def word(self, key: str, **values: Any) -> str:
        """A console text in the current user's language, its `commands` and *bold* styled."""
        return self.context().word(key, **values)

    def say(self, key: str, *styles: str, **values: Any) -> None:
        self.emit([self.style(line, *styles) for line in self.word(key, **values).split("\n")])

    def emit(self, lines: list[str], indent: int = 0) -> None:
        for line in render.wrap(lines, self.width - indent):
            self.out.write((" " * indent + line).rstrip() + "\n")
        self.out.flush()

    def style(self, text: str, *names: str) -> str:
        return self.context().style(text, *names)

    # -- running one line --------------------------------------------------------------------------

    def run(self, line: str) -> bool:
        """Carry out one command line; False when it could not be (the reason is printed)."""
        self._start_line()
        calls_before = len(self.emulator.calls)
        ok = self._attempt(lambda: self._carry_out(line))
        ok = self._attempt(self.show_changes) and ok
        failed = sum(1 for call in self.emulator.calls[calls_before:] if call.fault)
        if failed:
            self.say("slack_failed", "yellow", count=failed)
        self._forget_closed_modals()
        self._renumber()
        return ok

    def _carry_out(self, line: str) -> None:
        line = self._expand(line.strip())
        handler, argument, acts = self._parse(line)
        handler(self, argument)
        if acts:
            self.catch_up()

    def _attempt(self, step: Callable[[], Any]) -> bool:
        """Run part of a line; whatever goes wrong is told in one line and the console carries on."""
        try:
            step()
            return True
        except (Problem, forms.FieldError) as problem:
            self.say(f"error.{problem.key}", "red", **problem.values)
        except OperationalError as error:
            log.warning("a console line met a database error: %s", error)
            busy = any(sign in str(error) for sign in ("database is locked", "lock timeout"))
            self.say("error.database_busy" if busy else "error.unexpected", "red",
                     what=type(error.orig).__name__ if error.orig is not None else "OperationalError")
        except (TimeoutError, URLError) as error:  # the app did not answer the driver in time
            log.warning("the app did not answer a console line: %s", error)
            self.say("error.no_answer", "red", seconds=f"{self.driver.timeout:g}")
        except Exception as error:
            log.exception("a console line failed")
            self.say("error.unexpected", "red", what=f"{type(error).__name__}: {str(error)[:120]}")
        return False

    def _renumber(self) -> None:
        """What `press <n>` means after this line: the form just shown, else the messages just shown; once a
        form is closed, the messages that were on the screen under it again (never the closed form's fields)."""
        if self.screen.controls:
            self.surface = self.screen.controls
        if self.modal_numbering is not None and self.modal_numbering.controls:
            self.controls = self.modal_numbering.controls
        elif self.screen.controls:
            self.controls = self.screen.controls
        elif self.modal_key() is None:
            self.controls = self.surface

    def _expand(self, line: str) -> str:
        """``$code`` and ``$ref``, which a script cannot know in advance: the follow-up code last shown in a
        receipt, and the reference of the latest report (its year is the clock's)."""
        for variable in dict.fromkeys(re.findall(r"\$(?:code|ref)\b", line)):
            if variable == CODE_VARIABLE:
                value = self.follow_code
            else:
                with self.harness.db.read(self.organisation) as s:
                    value = s.scalar(select(Report.reference).order_by(Report.id.desc()).limit(1))
            if value is None:
                raise Problem("no_code" if variable == CODE_VARIABLE else "no_ref")
            self.say("variable_used", "dim", variable=variable, value=value)
            line = line.replace(variable, value)
        return line

    def clear(self) -> None:
        """Clear the terminal (and its scrollback); a replay or a pipe keeps its transcript."""
        if self.out.isatty():
            self.out.write("\x1b[H\x1b[2J\x1b[3J")
            self.out.flush()

    def _parse(self, line: str) -> tuple[Callable[[Session, str], None], str, bool]:
        """The command, its argument, and whether it acts on the app (then the console waits for it)."""
        if line.startswith("/"):
            return commands.slash_command, line, True
        if line.startswith("#"):
            return commands.open_channel, line[1:], False
        if re.fullmatch(r"\d+\s*=.*", line, re.S):
            return commands.set_field, line, True
        if re.fullmatch(r"\d+(\s+.*)?", line, re.S):
            return commands.press, line, True
        word, _, argument = line.partition(" ")
        entry = commands.COMMANDS.get(word.lower())
        if entry is None:
            close = difflib.get_close_matches(word.lower(), commands.COMMANDS, n=1)
            # A sentence (or Chinese) is most likely meant for Triad, as a worker would write it in Slack; a word
            # or two is a command mistyped.
            if not line.isascii() or len(line.split()) > 2 or (" " in line and not close):
                suggestion = f"dm {line}"
            else:
                suggestion = close[0] if close else ""
            raise Problem("unknown_command", word=word, suggestion=suggestion)
        handler, acts = entry
        return handler, argument.strip(), acts

    def catch_up(self) -> None:
        """Let the app finish (acks are done; lazy work and the outbox may still run), then show it."""
        live.settle(self.harness, self.inbox)
        self.show_changes()

    # -- what the user sees ------------------------------------------------------------------------

    def unread_counts(self) -> list[tuple[str, int, int]]:
        """Each channel, then the DM: how many messages, and how many thread replies, others wrote that the
        user has not seen (replies count apart, as Slack keeps them under Threads)."""
        seen = self.read.get(self.me, set())
        counts = []
        for channel in [*self.workspace.channels, self.emulator.dm_channel(self.me)]:
            new = [m for m in self.emulator.messages(channel)
                   if (channel, m["ts"]) not in seen and m.get("user") != self.me]
            replies = sum(1 for m in new if m.get("thread_ts") not in (None, m["ts"]))
            counts.append((channel, len(new) - replies, replies))
        return counts

    def mark_read(self, messages: list[dict[str, Any]]) -> None:
        self.read.setdefault(self.me, set()).update((str(m["channel"]), str(m["ts"])) for m in messages)

    def channel_name(self, channel: str) -> str:
        return "#" + demo.CHANNELS[channel] if channel in demo.CHANNELS else self.word("dm_with_triad")

    def list_messages(self, messages: list[dict[str, Any]], *, thread_hint: bool) -> None:
        """Messages numbered from 1 (for `thread` and `shortcut … on`), their elements numbered on the screen."""
        self.listed = {}
        for number, message in enumerate(messages, 1):
            self.listed[number] = message
            edited = self.style(" " + self.word("edited"), "dim") if message.get("edited") else ""
            self.emit([f"{self.style(f'{number:>2}', 'bold')}  {self.style(self._author(message), 'bold')}"
                       f"{self.style(' · ' + self._posted_at(message), 'dim')}{edited}"])
            self.emit(render.message_body(message, self.context(self.width - 4), self.screen), indent=4)
            if thread_hint and message.get("reply_count"):
                self.emit([self.style(self.word("replies_hint", count=message["reply_count"], number=number), "dim")],
                          indent=4)

    def _author(self, message: dict[str, Any]) -> str:
        author = str(message.get("user"))
        return self.names().get(author) or str((self.emulator.user(author) or {}).get("real_name") or author)

    def _posted_at(self, message: dict[str, Any]) -> str:
        moment = self.inbox.posted_at.get((message["channel"], message["ts"]))
        return when(moment or datetime.fromtimestamp(float(message["ts"]), UTC), self.reader)

    def answered(self, response: Response) -> None:
        """Slack's side of the app's HTTP answer: an error, a slow answer, or a message in the ack."""
        if response.status != 200:
            raise Problem("app_failed", status=response.status)
        if response.elapsed > 3:
            self.say("slow_answer", "yellow", seconds=f"{response.elapsed:.1f}")
        answer = response.json or {}
        if (answer.get("text") or answer.get("blocks")) and "response_action" not in answer:
            self._show_ephemeral({**answer, "channel": self.channel}, numbering=render.Numbering())

    def show_modal(self, view: dict[str, Any]) -> None:
        directory = self.directory()
        shown = {}
        for block in view.get("blocks") or []:
            value = self.values.get(view["id"], {}).get(block.get("block_id"))
            if block.get("type") == "input" and value is not None:
                shown[block["block_id"]] = forms.describe(block["element"], value, directory)
        code = _FOLLOW_CODE.search(json.dumps(view.get("blocks"), ensure_ascii=False))
        if code:
            self.follow_code = code.group(1)
        self.modal_numbering = render.Numbering()
        fields = render.Fields(shown, self.errors.get(view["id"], {}))
        self.emit(render.modal(view, self.context(), self.modal_numbering, fields))
        self.modal_before = self.modal_key()

    def modal_key(self) -> tuple[str, str] | None:
        view = self.emulator.open_modal(self.me)
        return (view["id"], view["hash"]) if view else None

    def _forget_closed_modals(self) -> None:
        open_ids = {v["id"] for u in demo.PEOPLE for v in self.emulator.modal_stack(u.slack_id)}
        for kept in (self.values, self.errors):
            for view_id in set(kept) - open_ids:
                del kept[view_id]

    # -- what appeared -----------------------------------------------------------------------------

    def show_changes(self) -> int:
        """Show what the current user can newly see; returns how many things were shown."""
        changes, view_events = self.inbox.take()
        shown = 0
        if self.modal_before is not None and self.modal_key() is None:  # closed first: then what followed
            self.modal_before = None
            self.say("modal_closed", "dim")
            shown += 1
        others: Counter[str] = Counter()
        on_screen = self._on_screen()
        for change in changes:
            data = change.data
            if change.kind == "ephemeral":
                if data.get("recipient") == self.me and not change.deleted:
                    self._show_ephemeral(data, updated=change.first == "updated")
                    shown += 1
                continue
            if data.get("user") == self.me or self.emulator.team_of(str(data["channel"])) != self.workspace.team_id:
                continue  # what they typed themselves; what another workspace sees
            owner = self.emulator.dm_user(str(data["channel"]))
            if owner == self.me and not change.deleted:
                self._show_dm(data, updated=change.first == "updated")
            elif owner is not None:  # someone else's DM: only that it came
                if owner != self.me and change.first == "posted":
                    others[owner] += 1
                continue
            elif (data["channel"], data["ts"]) in on_screen and change.first == "updated" and not change.deleted:
                if not self._show_updated(data, on_screen[(data["channel"], data["ts"])]):
                    continue
            else:
                self._show_line(data, change)
            shown += 1
        names = self.names()
        for user, count in others.items():
            handle = next((u.handle for u in demo.PEOPLE if u.slack_id == user), user)
            self.say("others_dm", "dim", name=names.get(user, user), count=count, handle=handle)
        if any(e.kind == "home_published" and e.user == self.me for e in view_events) and not self.home_requested:
            self.say("home_updated", "dim")
        return shown + self._show_modal_change()

    def _on_screen(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Messages the user is looking at, as they were shown: the one pressed on, and those whose buttons are
        numbered. A change to one of them is shown as Slack redraws it, renumbered."""
        shown: dict[tuple[str, str], dict[str, Any]] = {}
        for control in [*self.surface.values(), *self.controls.values()]:
            source = control.source
            if source.get("ts") and source.get("type") not in ("modal", "home"):
                shown[(str(source.get("channel")), str(source["ts"]))] = source
        if self.pressed and self.pressed not in shown:
            shown[self.pressed] = {}
        return shown

    def _show_modal_change(self) -> int:
        view = self.emulator.open_modal(self.me)
        if view is None or (view["id"], view["hash"]) == self.modal_before:
            return 0
        self.show_modal(view)
        return 1

    def _show_ephemeral(self, data: dict[str, Any], *, updated: bool = False,
                        numbering: render.Numbering | None = None) -> None:
        key = "ephemeral_updated" if updated else "ephemeral"
        self.emit([self.style("👁 " + self.word(key, channel=self.channel_name(data["channel"])), "dim")])
        self.emit(render.message_body(data, self.context(self.width - 2), numbering or self.screen), indent=2)

    def _show_dm(self, data: dict[str, Any], *, updated: bool) -> None:
        self.emit([self.style("✉ " + self.word("dm_updated" if updated else "dm_from_triad"), "bold", "magenta")])
        self.emit(render.message_body(data, self.context(self.width - 2), self.screen), indent=2)
        self.mark_read([data])

    def _show_updated(self, data: dict[str, Any], before: dict[str, Any]) -> bool:
        """A message on the screen changed: its first line, what is new in it, and its (renumbered) buttons.
        False when it reads as before (nothing shown)."""
        ctx = self.context(self.width - 2)
        self.mark_read([data])
        if before and render.message_body(data, ctx, render.Numbering()) == \
                render.message_body(before, ctx, render.Numbering()):
            return False  # updated, but it reads the same: the numbers on the screen still hold
        lines = render.message_body(data, ctx, self.screen)
        if not before:
            self.emit([self.style("✎ " + self.word("message_updated", channel=self.channel_name(data["channel"])),
                                  "bold")])
            self.emit(lines, indent=2)
            return True
        old = set(render.message_body(before, ctx, render.Numbering()))
        changed = [line for i, line in enumerate(lines) if i == 0 or line not in old or _NUMBERED.search(line)]
        self.emit([self.style("✎ " + self.word("message_changed", channel=self.channel_name(data["channel"])),
                              "bold")])
        self.emit(changed, indent=2)
        return True

    def _show_line(self, data: dict[str, Any], change: live.Change) -> None:
        """A channel message on one line; one that mentions the current user stands out."""
        ctx = self.context()
        channel = self.channel_name(data["channel"])
        in_thread = data.get("thread_ts") not in (None, data["ts"])
        mark = {"updated": "✎ ", "deleted": "✗ "}.get("deleted" if change.deleted else change.first, "")
        head = f"{self.style(channel, 'bold', 'blue')}{' ↳' if in_thread else ''}  {mark}{self._author(data)}: "
        limit = self.width - render.display_width(head) - 4  # room for the bell
        text = self.word("deleted") if change.deleted else render.preview(data, ctx, limit)
        mentioned = change.first == "posted" and (  # Slack notifies of new messages, not of edits
            f"<@{self.me}>" in str(data.get("text")) or f"<@{self.me}>" in str(data.get("blocks")))
        line = head + text
        if data["channel"] == self.channel:  # it came while the user was looking at the channel
            self.mark_read([data])
        self.emit([self.style("🔔 ", "yellow") + line if mentioned else "  " + line])

