"""Start-up settings: a wrong setting is named in one line, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load


def test_no_tokens_opens_the_sandbox_on_sqlite():
    settings = load({})
    assert settings.mode == "sandbox"
    assert settings.database_url.startswith("sqlite:///")


def test_bot_token_and_signing_secret_mean_http_mode():
    settings = load({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "8080"})
    assert (settings.mode, settings.port) == ("http", 8080)


def test_app_token_means_socket_mode():
    assert load({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).mode == "socket"


def test_a_client_id_and_secret_mean_workspaces_install_triad_over_http():
    settings = load({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"})
    assert (settings.mode, settings.installs, settings.bot_token) == ("http", True, None)
    assert not load({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}).installs


def test_heroku_style_postgres_urls_get_the_psycopg_driver():
    settings = load({"DATABASE_URL": "postgres://u:p@db/triad"})
    assert settings.database_url == "postgresql+psycopg://u:p@db/triad"


def test_api_url_gets_its_trailing_slash():
    assert load({"SLACK_API_URL": "https://slack-gov.com/api"}).api_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize("env, names", [
    ({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
    ({"TRIAD_SCHEDULER": "sometimes"}, "TRIAD_SCHEDULER"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"},
     "SLACK_BOT_TOKEN"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s",
      "SLACK_REDIRECT_URI": "triad.example.com"}, "SLACK_REDIRECT_URI"),
])
def test_bad_settings_are_named(env, names):
    with pytest.raises(ConfigError, match=names):
        load(env)


def test_the_cli_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "db", "status"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-1", "PORT": "x"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLACK_SIGNING_SECRET" in result.stderr and "Traceback" not in result.stderr
