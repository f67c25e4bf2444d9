"""Settings from the environment (and .env), checked once at start-up.

A missing or malformed setting stops start-up with one line that names it and says what is
expected; see ``ConfigError``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """One clear line for the operator, printed instead of a traceback."""


@dataclass(frozen=True)
class Settings:
    mode: str  # "http" | "socket" | "sandbox"
    database_url: str
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    client_id: str | None = None  # with client_secret: installed into workspaces through Slack's OAuth flow
    client_secret: str | None = None
    redirect_uri: str | None = None  # the OAuth redirect URL, when the app's settings list more than one
    api_url: str | None = None
    port: int = 3000
    web_concurrency: int = 1
    web_threads: int = 8
    scheduler: str = "embedded"  # "embedded" runs jobs in this process; "off" leaves them to `python -m bot clock`
    outbox: str = "embedded"  # "embedded" delivers from this process; "off" leaves it to `python -m bot clock`
    log_level: str = "INFO"
    # Where the evidence chain's heads are appended, outside the database (bot/evidence/heads.py); None: not kept.
    evidence_heads_file: str | None = None
    # Whether a procedure's document link must answer before it is published (bot/procedures/links.py).
    check_links: bool = True

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def installs(self) -> bool:
        """Whether workspaces install Triad (OAuth, a bot token each) rather than one bot token serving one."""
        return self.client_id is not None


DEFAULT_SQLITE = "sqlite:///var/triad.sqlite3"
SANDBOX_SQLITE = "sqlite:///var/sandbox.sqlite3"
DEFAULT_HEADS_FILE = "var/evidence-heads.jsonl"
SANDBOX_HEADS_FILE = "var/sandbox-evidence-heads.jsonl"


def load(env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        env = dict(os.environ)
    values = env

    def get(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    bot_token, signing_secret, app_token = get("SLACK_BOT_TOKEN"), get("SLACK_SIGNING_SECRET"), get("SLACK_APP_TOKEN")
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        raise ConfigError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Basic Information page): "
                          "set both to let workspaces install Triad, or neither.")
    if client_id:
        if bot_token or app_token:
            raise ConfigError("SLACK_CLIENT_ID is set, so each workspace gets its bot token when it installs Triad: "
                              "remove SLACK_BOT_TOKEN and SLACK_APP_TOKEN (they serve one workspace).")
        if not signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is missing: installs are served over HTTP, which needs it "
                              "to verify Slack's requests.")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' (OAuth & Permissions page).")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' (Basic Information page).")
    if app_token and not bot_token:
        raise ConfigError("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is missing: Socket Mode needs both.")
    if bot_token and not app_token and not signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is missing: HTTP mode needs it to verify Slack's requests "
                          "(or set SLACK_APP_TOKEN for Socket Mode).")
    if signing_secret and not bot_token and not client_id:
        raise ConfigError("SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is missing: set both (one workspace), "
                          "set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET with it (installs), or none for the sandbox.")
    mode = "socket" if app_token else "http" if bot_token or client_id else "sandbox"
    redirect_uri = get("SLACK_REDIRECT_URI")
    if redirect_uri and not redirect_uri.startswith(("https://", "http://")):
        raise ConfigError("SLACK_REDIRECT_URI must be an http(s) URL ending in /slack/oauth_redirect, "
                          f"got {redirect_uri!r}.")

    api_url = get("SLACK_API_URL")
    if api_url:
        parsed = urlparse(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, got {api_url!r}.")
        if not api_url.endswith("/"):
            api_url += "/"

    return Settings(
        mode=mode,
        database_url=_database_url(get("DATABASE_URL"), sandbox=mode == "sandbox"),
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        api_url=api_url,
        port=_int(get("PORT"), "PORT", 3000, 1, 65535),
        web_concurrency=_int(get("WEB_CONCURRENCY"), "WEB_CONCURRENCY", 1, 1, 64),
        web_threads=_int(get("WEB_THREADS"), "WEB_THREADS", 8, 1, 256),
        scheduler=_choice(get("TRIAD_SCHEDULER"), "TRIAD_SCHEDULER", "embedded", ("embedded", "off")),
        outbox=_choice(get("TRIAD_OUTBOX"), "TRIAD_OUTBOX", "embedded", ("embedded", "off")),
        check_links=_choice(get("TRIAD_CHECK_LINKS"), "TRIAD_CHECK_LINKS", "off" if mode == "sandbox" else "on",
                            ("on", "off")) == "on",
        evidence_heads_file=get("TRIAD_EVIDENCE_HEADS") or (SANDBOX_HEADS_FILE if mode == "sandbox"
                                                            else DEFAULT_HEADS_FILE),
        log_level=_choice((get("LOG_LEVEL") or "INFO").upper(), "LOG_LEVEL", "INFO",
                          ("DEBUG", "INFO", "WARNING", "ERROR")),
    )


def _database_url(value: str | None, *, sandbox: bool) -> str:
    if not value:
        return SANDBOX_SQLITE if sandbox else DEFAULT_SQLITE
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    if value.startswith(("postgresql+psycopg://", "sqlite://")):
        return value
    raise ConfigError("DATABASE_URL must start with postgresql+psycopg:// (or postgres://) or sqlite:///, "
                      f"got {value.split('://')[0]!r}.")


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}.") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {number}.")
    return number


def _choice(value: str | None, name: str, default: str, allowed: tuple[str, ...]) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}.")
    return value
