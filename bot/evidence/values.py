"""What the export form carries (bot/values.py encodes and decodes it)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Self

from bot.values import Value

_TOKEN = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class ExportForm(Value):
    """The export form's own key, drawn when it opens: one file per form, however often it is submitted."""

    TAG = "x"
    token: str

    @classmethod
    def new(cls) -> ExportForm:
        return cls(secrets.token_hex(8))

    @classmethod
    def build(cls, data: object) -> Self | None:
        found = super().build(data)
        return found if found is not None and _TOKEN.fullmatch(found.token) else None
