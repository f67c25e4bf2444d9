"""`python -m bot` with Slack tokens: gunicorn serves signed requests at /slack/events and /healthz."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from sandbox.driver import SlackDriver
from sandbox.emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_bot(database_url, db, tmp_path):
    emulator = SlackEmulator(bot_token="xoxb-http-test").start()
    emulator.add_user("U0LI", "li", "Li Na", locale="en-US")
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-http-test", "SLACK_SIGNING_SECRET": "http-test-secret",
           "SLACK_API_URL": emulator.api_url, "DATABASE_URL": database_url, "PORT": str(port),
           "TRIAD_SCHEDULER": "off", "LOG_LEVEL": "WARNING"}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError as not_yet:  # refused, reset, or a worker still booting (timed out)
                if process.poll() is not None:
                    raise AssertionError(process.stdout.read()) from not_yet
                time.sleep(0.1)
        yield url, emulator, SlackDriver(f"{url}/slack/events", "http-test-secret", emulator)
    finally:  # a server left running would deliver later tests' messages
        process.terminate()
        process.wait(timeout=20)
        emulator.stop()


def test_gunicorn_answers_health_and_signed_slack_requests(http_bot):
    url, emulator, driver = http_bot
    with urlopen(f"{url}/healthz", timeout=5) as response:
        assert response.status == 200
    assert "gunicorn" in response.headers.get("Server", "")
    assert driver.slash("U0LI", "/triad", "help").status == 200
    help_text = emulator.wait_for(lambda: emulator.ephemerals("U0LI"), timeout=10)
    assert "/triad me" in str(help_text)
    assert emulator.calls_to("users.info")  # the Web API calls went to SLACK_API_URL


def test_an_unsigned_request_gets_401(http_bot):
    url, emulator, driver = http_bot
    assert driver.send_raw(b"command=%2Ftriad", "application/x-www-form-urlencoded", signature="v0=bad").status == 401


def test_start_up_stops_with_one_line_when_the_schema_is_behind(tmp_path):
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
           "DATABASE_URL": f"sqlite:///{tmp_path}/never-upgraded.sqlite3"}
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "python -m bot db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_socket_mode_opens_its_connection_through_slack_api_url(database_url, db, tmp_path):
    """No real Slack here: the emulator refuses apps.connections.open, and the call must have reached it."""
    emulator = SlackEmulator(bot_token="xoxb-socket").start()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-socket", "SLACK_APP_TOKEN": "xapp-1-socket",
           "SLACK_API_URL": emulator.api_url, "DATABASE_URL": database_url, "TRIAD_SCHEDULER": "off"}
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        emulator.wait_for(lambda: emulator.calls_to("apps.connections.open"), timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
        emulator.stop()


MASTER_PROBE = """
import sys
from gunicorn.app.base import BaseApplication

def loaded(self):
    print(" ".join(sorted(sys.modules)))
    sys.stdout.flush()

BaseApplication.run = loaded  # stop where the master would start forking workers
from bot.cli import main
sys.exit(main([]))
"""


def test_the_gunicorn_master_loads_no_database_bolt_or_template_code(database_url, db, tmp_path):
    """The master only forks and watches: what it imports is copied into no worker and costs memory twice."""
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": database_url,
           "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_APP_TOKEN", None)
    result = subprocess.run([sys.executable, "-c", MASTER_PROBE], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.split())
    assert "gunicorn" in modules and "bot.server" in modules
    assert not {"sqlalchemy", "alembic", "storage.db", "storage.migrate", "slack_bolt", "slack_sdk", "jinja2",
                "yaml", "babel"} & modules
