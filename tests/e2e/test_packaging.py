"""A non-editable install, outside the checkout, runs the sandbox and HTTP mode: prompts/, examples/
and manifest.yml ship inside the package.

Offline and quick: the wheel is built from a copy of the checkout with this environment's setuptools
(no build isolation), and installed without its dependencies into a fresh virtual environment that
borrows this environment's installed dependencies through a .pth line.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from sandbox.driver import SlackDriver
from sandbox.emulator import SlackEmulator
from tests.e2e.test_http_mode import free_port

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("install")
    shutil.copytree(ROOT, work / "source", ignore=NOT_SOURCE)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--disable-pip-version-check", "-q", "-w", work / "dist", work / "source")
    (wheel,) = (work / "dist").glob("triad-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", work / "venv")
    python = work / "venv" / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--disable-pip-version-check", "-q", wheel)
    return work / "venv"


def outside_env(**extra: str) -> dict[str, str]:
    """The environment of someone who installed Triad: no PYTHONPATH into the checkout, no Slack settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DATABASE_URL") and not k.startswith(("SLACK_", "TRIAD_"))}
    return {**env, **extra}


def test_the_installed_package_reads_its_own_texts_and_examples(venv, tmp_path):
    where = run(venv / "bin" / "python", "-c",
                "import bot, bot.i18n, sandbox.demo, sandbox.commands as c; "
                "print(bot.__file__, bot.i18n.PROMPTS, sandbox.demo.ORG_FILE, c.MANIFEST, sep='\\n')",
                cwd=tmp_path, env=outside_env()).stdout.split()
    assert len(where) == 4 and all(path.startswith(str(venv)) and Path(path).exists() for path in where), where


def test_the_installed_sandbox_replays_a_demo_in_both_languages(venv, tmp_path):
    # The README's command works from anywhere: a missing examples/ file is the installed demo of that name.
    done = run(venv / "bin" / "triad", "sandbox", "--fresh", "examples/demo-foundation.txt",
               cwd=tmp_path, env=outside_env())
    assert "What Triad can do for you" in done.stdout and "Triad 能为您做什么" in done.stdout
    assert (tmp_path / "var" / "sandbox.sqlite3").exists()  # its database is the user's, not the package's


def test_the_installed_http_mode_answers_health_and_slack(venv, tmp_path):
    emulator = SlackEmulator(bot_token="xoxb-installed").start()
    emulator.add_user("U0LI", "li", "Li Na", locale="zh-CN")
    port = free_port()
    env = outside_env(SLACK_BOT_TOKEN="xoxb-installed", SLACK_SIGNING_SECRET="installed-secret",
                      SLACK_API_URL=emulator.api_url, DATABASE_URL=f"sqlite:///{tmp_path / 'triad.sqlite3'}",
                      PORT=str(port), TRIAD_SCHEDULER="off", LOG_LEVEL="WARNING")
    run(venv / "bin" / "triad", "db", "upgrade", cwd=tmp_path, env=env)
    process = subprocess.Popen([str(venv / "bin" / "triad")], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urlopen(f"{url}/healthz", timeout=1) as response:
                    assert response.status == 200
                break
            except OSError as not_yet:  # refused, reset, or a worker still booting (timed out)
                if process.poll() is not None:
                    raise AssertionError(process.stdout.read() if process.stdout else "") from not_yet
                time.sleep(0.1)
        else:
            raise AssertionError("HTTP mode never answered /healthz")
        driver = SlackDriver(f"{url}/slack/events", "installed-secret", emulator)
        assert driver.slash("U0LI", "/triad", "help").status == 200
        help_text = emulator.wait_for(lambda: emulator.ephemerals("U0LI"), timeout=10)
        assert "Triad 能为您做什么" in str(help_text)
    finally:
        process.terminate()
        process.wait(timeout=20)
        emulator.stop()
