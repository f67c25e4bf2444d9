"""Exports for auditors: reports, actions with their verification, timelines and the whole evidence log, as CSV or
XLSX, each row with the clause it serves and its chain hash, streamed from the database in constant memory.

(Interface agreed between the CLI, the Slack side and the benchmark; the body is being written.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from storage.db import Database
from storage.models import Standard

SHEETS = ("reports", "actions", "timeline", "evidence")  # what can be exported, in the workbook's order
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportRequest:
    sheets: tuple[str, ...] = SHEETS  # CSV with several sheets: a .zip of one CSV each
    since: date | None = None  # inclusive, in the workspace's time zone
    until: date | None = None  # inclusive
    standard: Standard | None = None
    department_id: int | None = None
    format: str = "xlsx"
    language: str = "en"  # of headings and values shown as words
    timezone: str = "UTC"  # of the dates shown beside each UTC time


@dataclass(frozen=True)
class ExportSummary:
    rows: dict[str, int]  # per sheet
    filename: str
    media_type: str


def write(db: Database, workspace: int, request: ExportRequest, out: BinaryIO) -> ExportSummary:
    """Write the export to ``out``, streaming rows from read-only units of work (no write lock, no transaction
    held while writing to ``out``)."""
    raise NotImplementedError
