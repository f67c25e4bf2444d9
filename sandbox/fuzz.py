"""Correctly signed, mutated Slack payloads sent through the real HTTP server to the real app.

The corpus is recorded, not written by hand: a short day at the demo plant (commands, a report
filed, card buttons pressed, forms submitted and closed, shortcuts, DMs, App Home) is played through
the driver and every request it sent is kept. Each fuzzed request takes one of them and breaks it:
fields deleted or given the wrong type, huge or hostile strings, ids that name nothing, routing ids
pointed at another listener, bodies that are not UTF-8, not JSON, truncated or of the wrong content
type. What must hold for every one: no 5xx, an answer within Slack's 3 s, and when the answer is a
refusal (4xx), nothing stored changed and at most one log line was written.

``tests/e2e/test_fuzz.py`` runs a few hundred; ``bench/fuzz.py`` runs 10,000 and prints the counts.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import random
import sqlite3
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from handlers import payload
from sandbox.driver import FORM, JSON, SentRequest
from sandbox.harness import Harness
from storage.models import Base

HANG = 3.0  # Slack gives up on an answer after this long
WORKER, SUPERVISOR, MANAGER = "U0ZHANG", "U0LI", "U0ZHAO"
HUGE = 200_000

WRONG_VALUES: list[Any] = [
    None, 0, -1, 2**63, 1.5, True, False, "", " ", "x", [], {}, [1, "a"], {"id": 7}, {"value": None},
    "99999999999999999999", "-1", "0", "U0ZHANG", "null", "<!channel> <@U0LI> <http://x|y>", "\ud800",
    "隐患 3号压机防护罩缺失", "\x00", "{", "[]", "1e309",
]


@dataclass
class Sample:
    kind: str  # "form" (slash command), "interactive" (payload=JSON) or "json" (events)
    data: Any  # the fields, or the parsed payload
    modals: list[dict[str, Any]] = field(default_factory=list)  # the sender's open modal views, bottom first


@dataclass
class Outcome:
    total: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    hangs: int = 0
    slowest: float = 0.0
    refusals_that_changed_state: int = 0
    refusals_logged_more_than_once: int = 0
    failures_told: int = 0  # accepted requests whose listener failed (the person was told)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def note(self, what: str, description: str) -> None:
        self.examples.setdefault(what, [])
        if len(self.examples[what]) < 5:
            self.examples[what].append(description)

    def summary(self) -> str:
        by_class = Counter(f"{s // 100}xx" for s in self.statuses.elements())
        lines = [f"{self.total} signed fuzzed requests: " + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())),
                 f"  HTTP 5xx: {self.server_errors}   answers over {HANG:.0f} s: {self.hangs}   "
                 f"slowest: {self.slowest:.2f} s",
                 f"  refusals that changed stored state: {self.refusals_that_changed_state}   "
                 f"refusals logged more than once: {self.refusals_logged_more_than_once}",
                 f"  accepted requests whose listener failed (the person was told): {self.failures_told}"]
        for what, examples in self.examples.items():
            lines.append(f"  {what}:")
            lines.extend(f"    {e}" for e in examples)
        return "\n".join(lines)


# --- the corpus ----------------------------------------------------------------------------------

def record_corpus(h: Harness) -> list[Sample]:
    """Play a short day at the plant and keep every request the driver sent."""
    sent: list[tuple[SentRequest, list[dict[str, Any]]]] = []

    def recording(request: SentRequest) -> None:
        sample = _parsed(request)
        user = payload.user_id(sample.data) if sample is not None and isinstance(sample.data, dict) else None
        sent.append((request, [dict(v) for v in h.emulator.modal_stack(user)] if user else []))

    h.driver.on_send.append(recording)
    try:
        _a_day_at_the_plant(h)
    finally:
        h.driver.on_send.remove(recording)
    samples = []
    for request, modals in sent:
        sample = _parsed(request)
        if sample is not None:
            sample.modals = modals
            samples.append(sample)
    return samples


def _a_day_at_the_plant(h: Harness) -> None:
    d, e = h.driver, h.emulator
    d.url_verification("challenge-1")
    d.slash(WORKER, "/triad", "help")
    d.slash(WORKER, "/triad", "me")
    d.slash(SUPERVISOR, "/actions")
    d.slash(WORKER, "/report", "status HZ-2026-0001")
    d.home_opened(WORKER)
    d.dm(WORKER, "the floor near press 3 is wet and slippery, oil leaking")
    d.slash(WORKER, "/report", "hazard guard missing on press 3")
    e.wait_for(lambda: e.open_modal(WORKER), description="the report form")
    d.submit(WORKER, {})
    h.deliver()
    card = next(m for m in reversed(e.messages("C0STAMP"))
                if any(str(b.get("block_id", "")).startswith("triage:") for b in m.get("blocks") or []))
    d.press_button(SUPERVISOR, card, action_id="report_acknowledge")
    h.deliver()
    for action_id in ("report_assess", "report_assign", "report_root_cause", "report_ask", "report_timeline"):
        card = e.message(card["channel"], card["ts"]) or card
        d.press_button(SUPERVISOR, card, action_id=action_id)
        e.wait_for(lambda: e.open_modal(SUPERVISOR), description=action_id)
        if action_id == "report_assess":
            d.submit(SUPERVISOR, {"likelihood": "3", "severity": "3"})
        elif action_id == "report_assign":
            d.submit(SUPERVISOR, {"type": "corrective", "control": "engineering",
                                  "description": "Refit the guard", "owner": WORKER})
        else:
            d.close(SUPERVISOR)
        h.deliver()
    drafts = [m for m in e.dm_messages(WORKER) if "draft_file" in json.dumps(m)]
    if drafts:
        d.press_button(WORKER, drafts[-1], action_id="draft_edit")
        e.wait_for(lambda: e.open_modal(WORKER), description="the draft's form")
        d.close(WORKER)
    d.shortcut(WORKER, "report_issue")
    e.wait_for(lambda: e.open_modal(WORKER), description="the shortcut's form")
    d.close(WORKER)
    e.post_as_user(SUPERVISOR, "oil on the floor by the press", channel_id="C0STAMP")
    d.message_shortcut(SUPERVISOR, "report_message", e.messages("C0STAMP")[-1])
    e.wait_for(lambda: e.open_modal(SUPERVISOR), description="the message shortcut's form")
    d.close(SUPERVISOR)
    h.deliver()
    d.home_opened(MANAGER)  # the administrator's set-up page, opened from App Home, and one of its forms
    home = e.wait_for(lambda: e.home(MANAGER) or {}, description="the manager's Home")
    if "home_setup" in json.dumps(home):
        d.press_button(MANAGER, home, action_id="home_setup")
        page = e.wait_for(lambda: e.open_modal(MANAGER) or {}, description="the set-up page")
        if "setup_edit" in json.dumps(page):
            d.press_button(MANAGER, page, action_id="setup_edit")
            e.wait_for(lambda: len(e.modal_stack(MANAGER)) > 1, description="a set-up form")
            d.submit(MANAGER, {})
        e.close_modal(MANAGER)
    h.deliver()


def _parsed(request: SentRequest) -> Sample | None:
    content_type = request.headers.get("Content-Type", "")
    text = request.body.decode("utf-8")
    if content_type.startswith(JSON):
        return Sample("json", json.loads(text))
    fields = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return Sample("interactive", json.loads(fields["payload"]))
    return Sample("form", fields)


# --- breaking a sample ---------------------------------------------------------------------------

def mutate(rng: random.Random, sample: Sample, routes: dict[str, list[str]],
           fresh_trigger: Callable[[str], str] | None = None) -> tuple[bytes, str, str]:
    """One broken request from a sample: (body, content type, what was done).

    ``fresh_trigger(user)`` gives the request a trigger Slack has not exchanged yet, so that opening
    a modal fails only when the payload made it fail."""
    roll = rng.random()
    if roll < 0.08:
        return _broken_bytes(rng, sample)
    data = copy.deepcopy(sample.data)
    if fresh_trigger is not None and isinstance(data.get("trigger_id"), str):
        data["trigger_id"] = fresh_trigger(payload.user_id(data) or WORKER)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        done.append(_mutate_once(rng, data, routes))
    body, content_type = _encoded(sample.kind, data)
    if rng.random() < 0.04:  # the same fields under the other content type
        content_type = JSON if content_type == FORM else FORM
        done.append("content type swapped")
    return body, content_type, "; ".join(done)


def _broken_bytes(rng: random.Random, sample: Sample) -> tuple[bytes, str, str]:
    body, content_type = _encoded(sample.kind, sample.data)
    choice = rng.randrange(7)
    if choice == 0:
        at = rng.randrange(len(body) + 1)
        broken = body[:at] + bytes([rng.choice((0xff, 0xfe, 0xc3, 0x80, 0xed))]) + body[at:]
        return broken, content_type, "non-UTF-8 byte"
    if choice == 1:
        return body[: rng.randrange(max(1, len(body)))], content_type, "truncated"
    if choice == 2:
        return b"", content_type, "empty body"
    if choice == 3:
        return json.dumps([sample.data]).encode(), JSON, "JSON array body"
    if choice == 4:
        return b"payload=" + urllib.parse.quote(json.dumps(sample.data)[:-1]).encode(), FORM, "payload not JSON"
    if choice == 5:
        deep = "[" * 5000 + "]" * 5000
        return deep.encode(), JSON, "deeply nested JSON"
    return b"payload=" + "名".encode("gbk") * 10, FORM, "GBK bytes"


def _mutate_once(rng: random.Random, data: Any, routes: dict[str, list[str]]) -> str:
    paths = list(_paths(data, ()))
    outside_blocks = [p for p in paths if "blocks" not in p]  # Triad never reads back the blocks it sent
    if outside_blocks and rng.random() < 0.85:
        paths = outside_blocks
    if not paths:
        return "nothing to mutate"
    path = rng.choice(paths)
    parent = _at(data, path[:-1])
    key = path[-1]
    where = ".".join(map(str, path))
    roll = rng.random()
    if roll < 0.25 and isinstance(parent, dict):
        del parent[key]
        return f"deleted {where}"
    if roll < 0.35:
        parent[key] = "A" * HUGE if rng.random() < 0.5 else "隐" * (HUGE // 3)
        return f"huge {where}"
    if roll < 0.5 and key in ("action_id", "callback_id", "command", "type") and routes.get(str(key)):
        parent[key] = rng.choice(routes[str(key)])
        return f"{where} routed to {parent[key]}"
    value = rng.choice(WRONG_VALUES)
    parent[key] = copy.deepcopy(value)
    return f"{where} = {json.dumps(value)[:40]}"


def _paths(value: Any, prefix: tuple[Any, ...]) -> Any:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value[:5]):
            yield (*prefix, i)
            yield from _paths(inner, (*prefix, i))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _encoded(kind: str, data: Any) -> tuple[bytes, str]:
    if kind == "json":
        return json.dumps(data).encode("utf-8", "surrogatepass"), JSON
    if kind == "interactive":
        return urllib.parse.urlencode({"payload": json.dumps(data)}).encode(), FORM
    fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()} if isinstance(data, dict) \
        else {"text": json.dumps(data)}
    return urllib.parse.urlencode(fields, errors="surrogatepass").encode(), FORM


def routes_of(corpus: list[Sample]) -> dict[str, list[str]]:
    """Every action id, callback id, command and type seen: mutations point requests at other listeners."""
    found: dict[str, set[str]] = {"action_id": set(), "callback_id": set(), "command": set(), "type": set()}
    for sample in corpus:
        for path in _paths(sample.data, ()):
            key, value = path[-1], _at(sample.data, path)
            if key in found and isinstance(value, str):
                found[str(key)].add(value)
    return {k: sorted(v) for k, v in found.items()}


# --- running -------------------------------------------------------------------------------------

class _LogCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if record.name == "handlers.errors" and record.levelno >= logging.ERROR:
            self.failures.append(record.getMessage()[:160])


def fingerprint(h: Harness) -> str:
    """Every stored row, hashed: a refusal must leave it as it was."""
    digest = hashlib.sha256()
    with h.db.session() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class StateProbe:
    """Whether anything was committed between ``mark()`` and ``changed()``.

    On SQLite, ``PRAGMA data_version`` on a connection of our own changes exactly when another
    connection committed a change: constant time, so 10,000 requests stay quick as the database
    grows. Elsewhere every row is hashed.
    """

    def __init__(self, h: Harness) -> None:
        self.h = h
        url = h.db.url
        self.sqlite = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None) \
            if url.startswith("sqlite:///") else None
        self.before: object = None

    def _now(self) -> object:
        if self.sqlite is not None:
            return self.sqlite.execute("PRAGMA data_version").fetchone()[0]
        return fingerprint(self.h)

    def mark(self) -> None:
        self.before = self._now()

    def changed(self) -> bool:
        return self._now() != self.before

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()


def run(h: Harness, count: int, seed: int, corpus: list[Sample] | None = None,
        progress: Callable[[str], None] | None = None) -> Outcome:
    """Send ``count`` mutated requests one after the other; the harness's outbox worker must be off."""
    corpus = corpus or record_corpus(h)
    routes = routes_of(corpus)
    rng = random.Random(seed)
    outcome = Outcome()
    working = h.runtime.listeners.busy
    logs = _LogCount()
    root = logging.getLogger()
    root.addHandler(logs)
    probe = StateProbe(h)
    try:
        for number in range(count):
            sample = rng.choice(corpus)
            body, content_type, done = mutate(rng, sample, routes, h.emulator.issue_trigger)
            _quiet(working)
            _as_recorded(h, sample)
            probe.mark()
            logs.count, logs.failures = 0, []
            response = h.driver.send_raw(body, content_type)
            outcome.total += 1
            outcome.statuses[response.status] += 1
            outcome.slowest = max(outcome.slowest, response.elapsed)
            described = f"#{number} {_kind(sample)}: {done} -> {response.status} in {response.elapsed:.2f} s"
            if response.status >= 500:
                outcome.server_errors += 1
                outcome.note("5xx", described)
            if response.elapsed >= HANG:
                outcome.hangs += 1
                outcome.note("hangs", described)
            if response.status < 400:
                _quiet(working)
                if logs.failures:
                    outcome.failures_told += 1
                    outcome.note("listener failures", f"{described}: {logs.failures[0]}")
            if 400 <= response.status < 500:
                _quiet(working)
                if probe.changed():
                    outcome.refusals_that_changed_state += 1
                    outcome.note("refusals that changed state", described)
                if logs.count > 1:
                    outcome.refusals_logged_more_than_once += 1
                    outcome.note("refusals logged more than once", f"{described} ({logs.count} lines)")
            if progress and (number + 1) % 1000 == 0:
                progress(f"  … {number + 1} sent")
    finally:
        root.removeHandler(logs)
        probe.close()
    return outcome


def _as_recorded(h: Harness, sample: Sample) -> None:
    """The sender's modals as they were when the request was recorded: Slack sends presses and
    submissions only from a modal that is open."""
    user = payload.user_id(sample.data) if isinstance(sample.data, dict) else None
    if user is None or not h.emulator.user(user):
        return
    h.emulator.close_modal(user)
    for depth, view in enumerate(sample.modals):
        shown = {k: v for k, v in view.items() if k in _VIEW_PAYLOAD}
        if depth == 0:
            h.runtime.gateway.open_view(h.emulator.issue_trigger(user), shown)
        else:
            h.emulator.push_modal(user, shown)


_VIEW_PAYLOAD = ("type", "title", "submit", "close", "blocks", "private_metadata", "callback_id", "clear_on_close",
                 "notify_on_close", "external_id", "submit_disabled")


def _quiet(working: Callable[[], bool], patience: float = 10.0) -> None:
    """Wait until the listeners Bolt started after acking are done (their effects belong to their request)."""
    deadline = time.monotonic() + patience
    while working() and time.monotonic() < deadline:
        time.sleep(0.005)


def _kind(sample: Sample) -> str:
    data = sample.data if isinstance(sample.data, dict) else {}
    event = data["event"] if isinstance(data.get("event"), dict) else {}
    return str(data.get("command") or event.get("type") or data.get("type") or sample.kind)
