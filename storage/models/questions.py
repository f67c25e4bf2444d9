"""The question bank: multiple-choice questions in both languages, asked by a procedure's comprehension check and,
later, by micro-training. A question is never edited once asked: a changed question is a new row."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Tenant


class Question(Tenant, Base):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str | None] = mapped_column(String(64))  # what it is about, e.g. the procedure's code
    prompt_en: Mapped[str] = mapped_column(Text)
    prompt_zh: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"en": ..., "zh": ...}], 2 to 4
    answer: Mapped[int]  # the index of the right choice
    explanation_en: Mapped[str] = mapped_column(Text)
    explanation_zh: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    def prompt(self, lang: str) -> str:
        return self.prompt_zh if lang == "zh" else self.prompt_en

    def choice(self, index: int, lang: str) -> str:
        item = self.choices[index]
        return str(item.get("zh") or item["en"]) if lang == "zh" else str(item["en"])

    def explanation(self, lang: str) -> str:
        return self.explanation_zh if lang == "zh" else self.explanation_en
