"""Where Triad finds what it reads at run time besides its code: prompts/, examples/ and manifest.yml.

They live at the top of the repository. A built Triad (setup.py) carries them inside the ``bot``
package, so an installed Triad reads them there, found with importlib.resources; a checkout (or an
editable install) reads the repository's own.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def path(name: str) -> Path:
    installed = files("bot") / name
    if isinstance(installed, Path) and installed.exists():
        return installed
    return _CHECKOUT / name
