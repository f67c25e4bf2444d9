"""A whole Triad on loopback: Slack emulator, the real Bolt app behind the real WSGI server, a signed driver.

The interactive sandbox and the end-to-end tests both stand on this, so what a newcomer tries in
the terminal is exactly what the tests prove.
"""
from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import select

from bot import domains
from bot import runtime as rt
from bot.app import create_app
from bot.clock import Clock
from bot.config import Settings
from bot.org.orgfile import load_file
from bot.procedures import registerfile, service
from bot.server import LoopbackServer, wsgi_app
from bot.slack_limits import SLACK, Limits
from sandbox import browser, demo
from sandbox.driver import SlackDriver
from sandbox.emulator import SlackEmulator
from storage import migrate
from storage.models import Organisation

BOT_TOKEN = "xoxb-sandbox"
CLIENT_ID, CLIENT_SECRET = "1000000000.2000000000", "sandbox-client-secret"  # the sandbox app's, for installs
# Slack's rate limits, emulated 100 times faster: real pacing, without a test waiting a second per channel post.
SANDBOX_LIMITS = SLACK.scaled(100)


class Harness:
    def __init__(self, settings: Settings, *, org_file: Path | None = demo.ORG_FILE, start_worker: bool = True,
                 slack_limits: Limits = SANDBOX_LIMITS, installs: bool = False, clock: Clock | None = None,
                 procedures_file: Path | None = None) -> None:
        """``installs``: workspaces install Triad through the OAuth flow (``install``), each getting its own bot
        token, instead of the one bot token of the sandbox's workspace. ``procedures_file``: a register file
        loaded after the organisation file (the sandbox's demo plant has one; tests ask for it)."""
        if installs:
            self.settings = replace(settings, mode="http", bot_token=None, client_id=CLIENT_ID,
                                    client_secret=CLIENT_SECRET, signing_secret=secrets.token_hex(16))
        else:
            self.settings = replace(settings, mode="sandbox", bot_token=BOT_TOKEN,
                                    signing_secret=secrets.token_hex(16))
        self.org_file = org_file
        self.procedures_file = procedures_file
        self.start_worker = start_worker
        self.slack_limits = slack_limits  # enforced by the emulator; the outbox paces itself to them
        self.emulator = SlackEmulator(bot_token=BOT_TOKEN, limits=slack_limits)
        self.clock = clock or Clock()  # its runtime's: `wait` moves it; the emulator keeps real time
        self.server: LoopbackServer | None = None

    def start(self, *, migrate_db: bool = True, load_org: bool = True) -> Harness:
        self.emulator.start()
        self._add_people_and_channels(demo.PLANT)
        if migrate_db:
            if self.settings.database_url.startswith("sqlite:///"):
                Path(self.settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            migrate.upgrade(self.settings.database_url)
        self.runtime = rt.build(self.settings, token=None if self.settings.installs else BOT_TOKEN,
                                api_url=self.emulator.api_url, slack_limits=self.slack_limits, clock=self.clock)
        self.db = self.runtime.db
        if load_org and self.org_file:  # into the demo plant's organisation once it has one (several may follow)
            with self.db.session(self.organisation(demo.PLANT.team_id)) as s:
                self.clock.run(load_file, s, self.org_file)
            if self.procedures_file:
                self._load_register(self.procedures_file)
        self.app = create_app(self.runtime)
        self.server = LoopbackServer(wsgi_app(self.runtime, self.app)).start()
        if self.settings.installs:
            self.emulator.register_app(CLIENT_ID, CLIENT_SECRET, f"{self.server.url}/slack/oauth_redirect")
        self.driver = SlackDriver(f"{self.server.url}/slack/events", cast(str, self.settings.signing_secret),
                                  self.emulator, settle=self.settle)
        if self.start_worker:
            self.runtime.start_worker()
        return self

    def _load_register(self, path: Path) -> None:
        """Into a register still empty: a sandbox opened again keeps what its owners did with the procedures since
        (a draft published in Slack is no longer the file's draft)."""
        workspace = self.organisation(demo.PLANT.team_id)
        with self.db.read(workspace) as s:
            if service.register(s):
                return
        self.clock.run(registerfile.load_file, self.db, path, workspace=workspace,
                       check_links=self.settings.check_links)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def install(self, team_id: str | None = None, name: str | None = None, *, language: str = "en") -> str:
        """An admin of the team installs Triad from its install page, in a browser; returns the page shown at
        the end (Triad's, once Slack sent the browser back)."""
        if team_id is not None:
            self.emulator.approve_for(team_id, name)
        return browser.install(f"{self.url}/slack/install", language=language)

    def install_demo(self) -> None:
        """Every demo workspace installs Triad through the OAuth flow, the demo plant first (the organisation loaded
        from the file is the first install's); then each has its people and channels."""
        for workspace in demo.WORKSPACES:
            self.install(workspace.team_id, workspace.name)
            if workspace is not demo.PLANT:  # the plant's are there from the start (the emulator's own team)
                self._add_people_and_channels(workspace)

    def _add_people_and_channels(self, workspace: demo.DemoWorkspace) -> None:
        for user in workspace.users:
            self.emulator.add_user(user.slack_id, user.handle, user.name_en, locale=user.locale, tz=user.tz,
                                   is_owner=user.workspace_owner, team_id=workspace.team_id)
        for channel_id, name in workspace.channels.items():
            self.emulator.add_channel(channel_id, name, team_id=workspace.team_id)

    def organisation(self, team_id: str) -> int | None:
        """The id of the organisation Triad serves the team as; None before the team installed Triad."""
        with self.db.read() as s:
            return s.scalar(select(Organisation.id).where(Organisation.team_id == team_id))

    def settle(self) -> None:
        """Wait for the app's work after its acks (Slack hears back first; the rest follows)."""
        self.runtime.listeners.wait_idle()

    def deliver(self, rounds: int = 20) -> int:
        """Deliver everything that is due now (tests call it instead of waiting for the worker), once the
        listeners Bolt runs after its ack (events, lazy work) have written what they owe."""
        self.runtime.listeners.wait_idle(timeout=3)
        total = 0
        for _ in range(rounds):
            sent = self.clock.run(self.runtime.deliverer.deliver_due, wait=True)
            total += sent
            if not sent:
                break
        return total

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward, run what the scheduler would have run meanwhile, deliver."""
        self.clock.advance(delta)
        self.clock.run(domains.run_time_sweeps, self.runtime)
        self.deliver()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.runtime.close()
        self.emulator.stop()
