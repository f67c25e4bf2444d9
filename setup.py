"""The one build step pyproject.toml cannot declare: the files Triad reads at run time besides its code.

prompts/ (every text), examples/ (the sandbox's demo plant and scripts) and manifest.yml (the app's
commands, which the sandbox emulates) stay at the top of the repository. A built Triad carries them
inside its ``bot`` package, where bot/shipped.py finds them once installed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("prompts", "examples", "manifest.yml")


class BuildPyWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        target = Path(self.build_lib) / "bot"
        for name in SHIPPED:
            source = Path(name)
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
