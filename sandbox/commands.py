"""What each console line does: one function per command, taking the session and the rest of the line.

Commands act as the current demo user through the driver, exactly as Slack would send it, so the
real app answers; what appears afterwards is shown by ``Session``. A command that cannot be carried
out raises ``Problem`` naming a ``sandbox.error.*`` text.
"""
from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import yaml

from bot import outbox, shipped
from bot.i18n import plain, when
from bot.org import people
from sandbox import demo, forms, live, render
from sandbox.emulator import interactive_elements

if TYPE_CHECKING:
    from sandbox.session import Session

MANIFEST = shipped.path("manifest.yml")
RECENT = 10  # messages shown when a channel is opened
LOCALES = {"en": "en-US", "zh": "zh-CN"}
_DURATION = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
# The order of `help`: (section, commands), each with "sandbox.help.<command>.syntax/.text".
HELP = (("people", ("who", "as", "workspaces", "lang")),
        ("look", ("channels", "open", "thread", "dms", "home")),
        ("talk", ("slash", "dm", "say", "shortcut")),
        ("act", ("press", "set", "submit", "cancel", "modal")),
        ("time", ("wait", "time", "outage", "outbox")),
        ("evidence", ("evidence", "tamper")),
        ("end", ("code", "clear", "help", "quit")))


class Problem(Exception):
    """A line that could not be carried out; ``key`` names a ``sandbox.error.*`` text."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """The app's slash commands and shortcuts, as Slack knows them from manifest.yml."""
    features = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["features"]
    return {"commands": [c["command"] for c in features.get("slash_commands") or []],
            "shortcuts": list(features.get("shortcuts") or [])}


# -- people and language ---------------------------------------------------------------------------

def show_help(session: Session, argument: str) -> None:
    ctx = session.context()
    session.say("help.title", "bold")
    column = max(render.display_width(session.word(f"help.{name}.syntax")) for _, names in HELP for name in names) + 3
    for section, names in HELP:
        session.emit(["", ctx.style(session.word(f"help.section.{section}"), "bold")])
        for name in names:
            syntax = session.word(f"help.{name}.syntax")
            text = render.wrap([session.word(f"help.{name}.text")], session.width - column - 2)
            pad = " " * (column - render.display_width(syntax))
            session.emit(["  " + syntax + pad + text[0]] + [" " * (column + 2) + rest for rest in text[1:]])


def list_people(session: Session, argument: str) -> None:
    """Everyone, workspace by workspace: `as` moves you into another person's workspace."""
    chinese = session.reader.lang == "zh"
    handles = max(len(u.handle) for u in demo.PEOPLE) + 2
    names = max(render.display_width(f"{u.name_en} {u.name_zh}") for u in demo.PEOPLE) + 2
    for workspace in demo.WORKSPACES:
        session.emit([_workspace_line(session, workspace, mark=False)])
        for user in workspace.users:
            mine = user.slack_id == session.me
            name = f"{user.name_en} {user.name_zh}"
            about = session.style(user.about_zh if chinese else user.about_en, "dim")
            line = (f"{'→' if mine else ' '} {session.style(user.handle.ljust(handles), 'bold', 'cyan')}{name}"
                    f"{' ' * (names - render.display_width(name))}{about}")
            session.emit([line + (session.style("  " + session.word("you"), "green") if mine else "")])


def list_workspaces(session: Session, argument: str) -> None:
    for workspace in demo.WORKSPACES:
        session.emit([_workspace_line(session, workspace, mark=True)])
        session.emit([session.style(session.word("workspace_people", handles=", ".join(
            u.handle for u in workspace.users), channels=", ".join("#" + n for n in workspace.channels.values())),
            "dim")], indent=4)
    session.say("workspaces_apart", "dim")


def _workspace_line(session: Session, workspace: demo.DemoWorkspace, *, mark: bool) -> str:
    about = session.workspace_about(workspace)
    here = workspace is session.workspace
    line = (f"{'→ ' if mark and here else '  ' if mark else ''}{session.style(workspace.name, 'bold')} "
            f"{session.style(f'({workspace.team_id}) · {about}', 'dim')}")
    return line + (session.style("  ← " + session.word("you_are_here"), "green") if mark and here else "")


def act_as(session: Session, argument: str) -> None:
    left = session.workspace
    session.become(_demo_user(session, argument))
    if session.workspace is not left:
        session.say("now_in_workspace", "bold", workspace=session.workspace.name,
                    about=session.workspace_about(session.workspace))
    about = session.user.about_zh if session.reader.lang == "zh" else session.user.about_en
    session.say("now_acting", name=session.names()[session.me], handle=session.user.handle, about=about,
                language=plain(session.reader, f"common.language.{session.reader.lang}"))
    unread = [f"{session.channel_name(c)} {session.word('unread', count=n, replies=r)}"
              for c, n, r in session.unread_counts() if n or r]
    if unread:
        session.say("unread_summary", "dim", channels=", ".join(unread))
    if session.emulator.open_modal(session.me):
        session.say("modal_still_open", "dim")


def _demo_user(session: Session, typed: str) -> demo.DemoUser:
    wanted = typed.strip().lstrip("@").lower()
    exact = [u for u in demo.PEOPLE if u.handle == wanted]
    found = exact or [u for u in demo.PEOPLE if wanted and u.handle.startswith(wanted)]
    if len(found) != 1:
        raise Problem("no_such_user", typed=typed, handles=", ".join(u.handle for u in demo.PEOPLE))
    return found[0]


def switch_language(session: Session, argument: str) -> None:
    """Change the user's Slack language, and make Triad read it again, as `/triad language auto` would."""
    choice = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "cn": "zh", "chinese": "zh",
              "中文": "zh"}.get(argument.lower())
    if choice is None:
        raise Problem("lang_usage")
    user, locale = session.user, LOCALES[choice]
    session.emulator.add_user(user.slack_id, user.handle, user.name_en, locale=locale, tz=user.tz,
                               is_owner=user.workspace_owner, team_id=session.workspace.team_id)
    with session.harness.db.session(session.organisation) as s:
        person = people.find(s, user.slack_id)
        if person is not None:
            people.set_language(s, person, None)
            person.slack_locale, person.profile_checked_at = locale, None
    session.locales[user.slack_id] = locale
    session.say("lang_set", name=session.names()[session.me],
                language=plain(session.reader, f"common.language.{choice}"))


# -- looking at Slack ------------------------------------------------------------------------------

def list_channels(session: Session, argument: str) -> None:
    counts = [(channel, session.word("unread", count=n, replies=r) if n or r else "")
              for channel, n, r in session.unread_counts()]
    names = {channel: session.channel_name(channel) for channel, _ in counts}
    name_width = max(render.display_width(name) for name in names.values()) + 2
    new_width = max(render.display_width(new) for _, new in counts) + 2
    for channel, new in counts:
        here = session.style("← " + session.word("you_are_here"), "green") if channel == session.channel else ""
        pad = " " * (new_width - render.display_width(new))
        session.emit([f"  {names[channel]}{' ' * (name_width - render.display_width(names[channel]))}"
                      f"{session.style(new, 'bold', 'yellow')}{pad}{here}".rstrip()])


def open_channel(session: Session, argument: str) -> None:
    wanted, channels = argument.strip().lstrip("#").lower(), session.workspace.channels
    found = [c for c, name in channels.items() if name == wanted] or \
            [c for c, name in channels.items() if wanted and name.startswith(wanted)]
    if len(found) != 1:
        raise Problem("no_such_channel", typed=argument, channels=", ".join("#" + n for n in channels.values()))
    session.channel = found[0]
    _show_conversation(session, session.channel, "#" + channels[session.channel])


def open_dms(session: Session, argument: str) -> None:
    session.channel = session.emulator.dm_channel(session.me)
    _show_conversation(session, session.channel, session.word("dm_with_triad"))


def _show_conversation(session: Session, channel: str, title: str) -> None:
    everything = session.emulator.messages(channel)
    top = [m for m in everything if m.get("thread_ts") in (None, m["ts"])]
    shown = top[-RECENT:]
    count = session.style(" · " + session.word("message_count", count=len(top)), "dim") if top else ""
    session.emit([session.style(title, "bold") + count])
    if len(top) > len(shown):
        session.say("earlier_not_shown", "dim", count=len(top) - len(shown))
    if not top:
        session.say("channel_empty", "dim")
    session.list_messages(shown, thread_hint=True)
    session.mark_read(everything)


def open_thread(session: Session, argument: str) -> None:
    parent = _listed_message(session, argument)
    messages = session.emulator.thread(parent["channel"], parent["ts"])
    title = session.style(session.word("thread_in", channel=session.channel_name(parent["channel"])), "bold")
    session.emit([title + session.style(" · " + session.word("reply_count", count=len(messages) - 1), "dim")])
    session.list_messages(messages, thread_hint=False)
    session.mark_read(messages)


def _listed_message(session: Session, argument: str) -> dict[str, Any]:
    """A message of the last listing by its number, or by words only it contains (``thread Near miss``)."""
    typed = argument.strip()
    if typed.isdigit() and int(typed) in session.listed:
        return session.listed[int(typed)]

    def words(message: dict[str, Any]) -> str:
        shown = render.message_body(message, session.context(), render.Numbering())
        return "\n".join([str(message.get("text") or ""), *shown]).casefold()

    found = [] if not typed or typed.isdigit() else \
        [n for n, message in session.listed.items() if typed.casefold() in words(message)]
    if len(found) > 1:
        raise Problem("ambiguous_message", typed=typed, numbers=", ".join(map(str, found)))
    if not found:
        raise Problem("no_such_message", typed=typed)
    return session.listed[found[0]]


def open_home(session: Session, argument: str) -> None:
    session.home_requested = True
    session.answered(session.driver.home_opened(session.me))
    session.catch_up()
    view = session.emulator.home(session.me)
    if view is None:
        raise Problem("no_home")
    session.emit([session.style("🏠 " + session.word("home_title"), "bold")])
    session.emit(render.blocks(view.get("blocks"), session.context(session.width - 2), session.screen, view),
                 indent=2)


# -- talking to Triad ------------------------------------------------------------------------------

def slash_command(session: Session, line: str) -> None:
    command, _, text = line.partition(" ")
    if command not in manifest()["commands"]:
        raise Problem("unknown_slash", command=command, commands=", ".join(manifest()["commands"]))
    session.answered(session.driver.slash(session.me, command, text.strip(), channel_id=session.channel))


def write_dm(session: Session, argument: str) -> None:
    if not argument:
        raise Problem("dm_usage")
    session.answered(session.driver.dm(session.me, argument))


def post_in_channel(session: Session, argument: str) -> None:
    """Post as the user in the current channel (Triad only reads DMs, but shortcuts work on it)."""
    if session.emulator.dm_user(session.channel):
        write_dm(session, argument)
        return
    if not argument:
        raise Problem("say_usage")
    session.emulator.post_as_user(session.me, argument, channel_id=session.channel)
    session.say("posted", "dim", channel=session.channel_name(session.channel))


def run_shortcut(session: Session, argument: str) -> None:
    shortcuts = manifest()["shortcuts"]
    if not argument:
        for s in shortcuts:
            session.say(f"shortcut_{s['type']}", callback_id=s["callback_id"], name=s["name"])
        return
    name, on, number_text = argument.rpartition(" on ")
    number: str | None = number_text
    if not on or not number_text.strip().isdigit():  # a global shortcut: no message number
        name, number = argument, None
    wanted = name.strip().casefold()
    found = [s for s in shortcuts if wanted in (s["callback_id"].casefold(), s["name"].casefold())] or \
            [s for s in shortcuts if s["callback_id"].startswith(wanted) or s["name"].casefold().startswith(wanted)]
    if len(found) != 1:
        raise Problem("no_such_shortcut", typed=wanted, shortcuts=", ".join(s["callback_id"] for s in shortcuts))
    chosen = found[0]
    if chosen["type"] == "message":
        if number is None:
            raise Problem("shortcut_needs_message", callback_id=chosen["callback_id"])
        message = _listed_message(session, number)
        session.answered(session.driver.message_shortcut(session.me, chosen["callback_id"], message))
    elif number is not None:
        raise Problem("shortcut_is_global", callback_id=chosen["callback_id"])
    else:
        session.answered(session.driver.shortcut(session.me, chosen["callback_id"]))


# -- buttons and forms -----------------------------------------------------------------------------

def press(session: Session, argument: str) -> None:
    number, _, choice = argument.strip().partition(" ")
    if number.isdigit() and int(number) in session.controls:
        control = session.controls[int(number)]
    else:
        control, choice = _button_labelled(session, argument), ""
        number = str(control.number)
    item, source = control.element, control.source
    if control.block.get("type") == "input":
        raise Problem("use_set", number=number)
    if not _still_there(session, control):
        raise Problem("buttons_gone", number=number)
    value = None
    if item.get("type") != "button":
        if not choice:
            raise Problem("press_needs_choice", number=number, choices=render.option_list(item, session.context())
                          or session.word("field.other", kind=item.get("type")))
        value = forms.parse(item, choice, session.directory(), partial(_upload, session))
    if item.get("confirm"):
        confirm = item["confirm"]
        session.say("confirmed", "dim", title=render.text_object(confirm.get("title"), session.context()),
                    text=render.text_object(confirm.get("text"), session.context()),
                    ok=render.text_object(confirm.get("confirm"), session.context()))
    if item.get("url"):
        session.say("opens_url", "dim", url=item["url"])
    where: dict[str, Any] = {"view": source} if source.get("type") in ("modal", "home") else {"message": source}
    if "message" in where:
        session.pressed = (source["channel"], source["ts"])
    session.answered(session.driver.press(session.me, item["action_id"], value, block_id=control.block["block_id"],
                                          **where))


def _button_labelled(session: Session, label: str) -> render.Control:
    """A button on the screen by its text (``press Help``): replays keep working when numbers move.

    Buttons that have since gone from their message (it was updated) do not count, as in Slack.
    """
    wanted = label.strip().casefold()
    buttons = [c for c in session.controls.values() if c.element.get("type") == "button" and _still_there(session, c)]
    texts = {c.number: render.text_object(c.element.get("text"), session.context()).casefold() for c in buttons}
    found = [c for c in buttons if texts[c.number] == wanted] or \
            [c for c in buttons if wanted and texts[c.number].startswith(wanted)]
    if len(found) > 1:
        raise Problem("ambiguous_element", typed=label.strip(), numbers=", ".join(f"[{c.number}]" for c in found))
    if not found:
        raise Problem("no_such_element", typed=label.strip() or "?")
    return found[0]


def _still_there(session: Session, control: render.Control) -> bool:
    """Whether a message's button is still on the message as it is now (views are always current)."""
    source = control.source
    if not source.get("ts") or source.get("type") in ("modal", "home"):
        return True
    current = session.emulator.message(str(source.get("channel")), str(source["ts"]))
    if current is None:
        return False
    wanted = (control.element.get("action_id"), control.element.get("value"))
    return any((e.get("action_id"), e.get("value")) == wanted for _, e in interactive_elements(current.get("blocks")))


def _open_modal(session: Session) -> dict[str, Any]:
    view = session.emulator.open_modal(session.me)
    if view is None:
        raise Problem("no_modal")
    return view


def _modal_fields(session: Session, view: dict[str, Any]) -> dict[int, render.Control]:
    numbering = render.Numbering()
    render.modal(view, session.context(), numbering, render.Fields())
    return numbering.controls


def set_field(session: Session, argument: str) -> None:
    """``3 = oil leak``, ``set 3 oil leak`` or ``set Owner = zhang`` (a field by the start of its label)."""
    match = re.fullmatch(r"(\d+)\s*=?\s*(.*)", argument.strip(), re.S) or \
        re.fullmatch(r"([^=]*?\S)\s*=\s*(.*)", argument.strip(), re.S)
    if match is None:
        raise Problem("set_usage")
    view = _open_modal(session)
    control = _field_named(session, view, match.group(1))
    block_id, typed, number = control.block["block_id"], match.group(2).strip(), str(control.number)
    values = session.values.setdefault(view["id"], {})
    label = render.text_object(control.block.get("label"), session.context())
    session.errors.get(view["id"], {}).pop(block_id, None)
    if not typed:
        values.pop(block_id, None)
        session.say("field_cleared", number=number, label=label)
        return
    values[block_id] = forms.parse(control.element, typed, session.directory(), partial(_upload, session))
    shown = render.emoji(forms.describe(control.element, values[block_id], session.directory())).replace("\n", " ⏎ ")
    session.emit([f"✓ [{number}] {session.style(label, 'bold')} ▸ {session.style(shown, 'green')}"])
    if control.block.get("dispatch_action"):  # Slack tells the app at once
        session.answered(session.driver.press(session.me, control.element["action_id"], values[block_id], view=view,
                                              block_id=block_id))


def _field_named(session: Session, view: dict[str, Any], typed: str) -> render.Control:
    """A field of the open form by its number, or by its label: whole, else its start, else a part of it."""
    fields = {n: c for n, c in _modal_fields(session, view).items() if c.block.get("type") == "input"}
    if typed.isdigit():
        if int(typed) not in fields:
            raise Problem("no_such_field", typed=typed)
        return fields[int(typed)]
    wanted = typed.strip().casefold()
    labels = {n: render.text_object(c.block.get("label"), session.context()).casefold() for n, c in fields.items()}
    found = [n for n, label in labels.items() if label == wanted] or \
            [n for n, label in labels.items() if label.startswith(wanted)] or \
            [n for n, label in labels.items() if wanted in label]
    if len(found) > 1:
        raise Problem("ambiguous_field", typed=typed.strip(), numbers=", ".join(f"[{n}]" for n in found))
    if not found:
        raise Problem("no_such_field", typed=typed.strip())
    return fields[found[0]]


def _upload(session: Session, name: str) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(name)[0] or "image/png"
    return session.emulator.add_file(session.me, name, forms.placeholder_image(), mimetype)


def submit(session: Session, argument: str) -> None:
    view = _open_modal(session)
    if not view.get("submit"):
        raise Problem("no_submit")
    inputs = [b for b in view.get("blocks") or [] if b.get("type") == "input"]
    typed = session.values.get(view["id"], {})
    values = {b["block_id"]: typed[b["block_id"]] for b in inputs if b["block_id"] in typed}
    missing = {b["block_id"]: session.word("required") for b in inputs
               if not b.get("optional") and b["block_id"] not in values and not forms.has_initial(b["element"])}
    if missing:
        session.errors[view["id"]] = missing
        session.show_modal(view)
        raise Problem("fill_required")
    try:
        response = session.driver.submit(session.me, values)
    except ValueError as error:  # the app answered with errors on blocks that are not inputs
        raise Problem("app_refused", detail=str(error)) from None
    session.answered(response)
    answer = response.json or {}
    if answer.get("response_action") == "errors":
        session.errors[view["id"]] = {k: str(v) for k, v in (answer.get("errors") or {}).items()}
        session.show_modal(session.emulator.open_modal(session.me) or view)
        session.say("form_has_errors", "yellow")


def cancel(session: Session, argument: str) -> None:
    _open_modal(session)
    response = session.driver.close(session.me)
    if response is not None:
        session.answered(response)


def show_open_modal(session: Session, argument: str) -> None:
    session.show_modal(_open_modal(session))


# -- time and Slack's health -----------------------------------------------------------------------

def wait(session: Session, argument: str) -> None:
    compact = argument.replace(" ", "").lower()
    if not re.fullmatch(r"(\d+[dhm])+", compact):
        raise Problem("wait_usage")
    delta = sum((int(n) * _UNITS[unit] for n, unit in _DURATION.findall(compact)), timedelta())
    if not timedelta(0) < delta <= timedelta(days=400):
        raise Problem("wait_usage")
    session.harness.advance(delta)
    session.say("waited", "bold", delta=compact, now=when(session.harness.clock.now(), session.reader))
    live.settle(session.harness, session.inbox)
    if not session.show_changes():
        session.say("nothing_arrived", "dim")


def show_time(session: Session, argument: str) -> None:
    now = session.harness.clock.now()
    session.say("time_now", now=when(now, session.reader), tz=session.user.tz)
    ahead = session.harness.clock.ahead()
    if ahead >= timedelta(minutes=1):
        session.say("time_ahead", "dim", ahead=_as_wait(ahead))


def _as_wait(delta: timedelta) -> str:
    """A duration as `wait` takes it: 2d3h15m."""
    days, minutes = divmod(round(delta.total_seconds() / 60), 24 * 60)  # the seconds a replay takes do not count
    hours, minutes = divmod(minutes, 60)
    return "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)


def outage_mode(session: Session, argument: str) -> None:
    if argument.lower() == "on":
        session.emulator.fail("503")
        session.outage = True
        session.say("outage_on", "yellow")
    elif argument.lower() == "off":
        session.emulator.heal()
        session.outage = False
        session.say("outage_off", "green")
        live.deliver_soon(session.harness)
        session.catch_up()
        workspace = session.organisation
        with session.harness.db.session() as s:
            if outbox.pending_count(s, workspace):
                show_outbox(session, "")
    else:
        raise Problem("outage_usage")


def clear_screen(session: Session, argument: str) -> None:
    session.clear()


def show_outbox(session: Session, argument: str) -> None:
    workspace = session.organisation  # the outbox serves every workspace: yours is what you are shown
    with session.harness.db.session() as s:
        pending, due = outbox.pending_count(s, workspace), outbox.next_due(s, workspace)
    if not pending:
        session.say("outbox_empty")
        return
    now = session.harness.clock.now()
    seconds = max(0, int((due - now).total_seconds())) if due else 0
    session.say("outbox_pending", count=pending, at=when(due or now, session.reader), seconds=seconds,
                outage=session.outage)


def show_evidence(session: Session, argument: str) -> None:
    """What `python -m bot evidence verify` would say of this workspace's chain, in the console's words."""
    from bot.evidence.verify import verify

    with session.harness.db.read(session.organisation) as s:
        result = verify(s)
    if result.intact:
        session.say("evidence_intact", "green", entries=result.entries, seq=result.head_seq,
                    hash=result.head_hash[:12])
        return
    session.say("evidence_broken", "red", count=len(result.breaks))
    for found in result.breaks:
        session.say("evidence_break", kind=plain(session.reader, f"evidence.break.{found.kind}"), seq=found.seq,
                    entry=found.entry_id)


def tamper(session: Session, argument: str) -> None:
    """Play someone with the database's password hiding a made-up record: flip the back-dated mark of a report's
    filing, straight in SQL, behind Triad's back. The sandbox's own SQLite file has no trigger in the way; on
    PostgreSQL only a superuser gets past the log's (the replica role skips triggers)."""
    from sqlalchemy.exc import DBAPIError

    reference = argument.strip().upper()
    if not reference:
        raise Problem("tamper_usage")
    try:
        changed = _flip_backdated(session, reference)
    except DBAPIError:
        raise Problem("tamper_refused") from None
    if not changed:
        raise Problem("tamper_unknown", reference=reference)
    session.say("tampered", "yellow", reference=reference)


def _flip_backdated(session: Session, reference: str) -> int:
    from sqlalchemy import text

    with session.harness.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        return conn.execute(text(
            "UPDATE evidence_entry SET backdated = NOT backdated "
            "WHERE organisation_id = :o AND subject = :r AND kind = 'filed'"),
            {"o": session.organisation, "r": reference}).rowcount


# word -> (command, whether it acts on the app: then the console waits for the app and shows what came)
COMMANDS: dict[str, tuple[Callable[[Session, str], None], bool]] = {
    "help": (show_help, False), "?": (show_help, False), "who": (list_people, False), "as": (act_as, False),
    "workspaces": (list_workspaces, False), "workspace": (list_workspaces, False),
    "lang": (switch_language, False), "channels": (list_channels, False), "open": (open_channel, False),
    "channel": (open_channel, False),  # as newcomers type it
    "thread": (open_thread, False), "dms": (open_dms, False), "home": (open_home, True),
    "dm": (write_dm, True), "say": (post_in_channel, True), "shortcut": (run_shortcut, True),
    "press": (press, True), "set": (set_field, True), "submit": (submit, True), "cancel": (cancel, True),
    "close": (cancel, True), "modal": (show_open_modal, False), "wait": (wait, True), "time": (show_time, False),
    "outage": (outage_mode, True), "outbox": (show_outbox, False), "clear": (clear_screen, False),
    "cls": (clear_screen, False), "evidence": (show_evidence, False), "tamper": (tamper, False),
}
