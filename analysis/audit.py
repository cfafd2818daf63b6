"""The audit log: who imported, rolled back, restored, saved or deleted what, and when.

Two back ends, chosen as the user-data store is (`open_audit_log`):
- files (the embedded default): `audit.jsonl` under the user-data dir, one JSON object a line, appended under
  the store's file lock with one `write` and an fsync, never rewritten. A line a killed process left half-written
  is skipped and counted, not fatal; reads look at the newest `MAX_READ_BYTES` only.
- PostgreSQL (`ATLAS_USERDATA_URL`): the `audit_log` table (userstore_pg.MIGRATIONS), one INSERT per entry.

Every field is bounded (`MAX_FIELD_CHARS`), so a long scenario name cannot grow one entry without end.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from analysis import paths
from analysis.safejson import UnsafeJSON, loads
from analysis.textsafe import csv_safe_cell
from analysis.userstore import locked

AUDIT_FILE = "audit.jsonl"
ACTIONS = ("import", "rollback", "restore", "save", "delete")
MAX_FIELD_CHARS = {"actor": 200, "action": 40, "target": 400, "detail": 2000}
MAX_READ_BYTES = 4 * 1024 * 1024  # the newest 4 MB of the file: tens of thousands of entries
MAX_ENTRIES_SHOWN = 5000
COLUMNS = ("at", "actor", "action", "target", "detail")


@dataclass(frozen=True)
class Entry:
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    target: str
    detail: str = ""


def make_entry(actor: str, action: str, target: str, detail: str = "") -> Entry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    fields = {"actor": actor, "action": action, "target": target, "detail": detail}
    bounded = {key: str(value)[: MAX_FIELD_CHARS[key]] for key, value in fields.items()}
    return Entry(at=datetime.now(UTC).isoformat(timespec="seconds"), **bounded)


def _entry_from(obj: object) -> Entry | None:
    if not isinstance(obj, dict) or not all(isinstance(obj.get(key), str) for key in COLUMNS):
        return None
    return Entry(**{key: obj[key][: MAX_FIELD_CHARS.get(key, 40)] for key in COLUMNS})


class FileAuditLog:
    def __init__(self, directory: Path | None = None):
        self.path = (directory or paths.user_data_dir()) / AUDIT_FILE

    def record(self, actor: str, action: str, target: str, detail: str = "") -> Entry:
        entry = make_entry(actor, action, target, detail)
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        with locked(self.path):
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":  # a killed writer's half line: end it, keep ours whole
                    line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def read(self, limit: int = MAX_ENTRIES_SHOWN) -> tuple[list[Entry], int]:
        """The newest `limit` entries, newest first, and how many lines were damaged (skipped)."""
        if not self.path.exists():
            return [], 0
        with open(self.path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - MAX_READ_BYTES))
            chunk = handle.read(MAX_READ_BYTES)
        lines = chunk.split(b"\n")
        if size > MAX_READ_BYTES:
            lines = lines[1:]  # the first is probably cut by the window
        entries, damaged = [], 0
        for raw in lines:
            if not raw.strip():
                continue
            try:
                found = _entry_from(loads(raw))
            except (UnsafeJSON, UnicodeDecodeError):
                found = None
            if found is None:
                damaged += 1
            else:
                entries.append(found)
        return entries[::-1][:limit], damaged


class PostgresAuditLog:
    def __init__(self, url: str):
        self.url = url

    def record(self, actor: str, action: str, target: str, detail: str = "") -> Entry:
        from analysis.userstore_pg import in_transaction

        entry = make_entry(actor, action, target, detail)
        in_transaction(
            self.url,
            lambda conn: conn.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (%s, %s, %s, %s, %s)",
                (entry.at, entry.actor, entry.action, entry.target, entry.detail),
            ),
        )
        return entry

    def read(self, limit: int = MAX_ENTRIES_SHOWN) -> tuple[list[Entry], int]:
        from analysis.userstore_pg import in_transaction

        rows = in_transaction(
            self.url,
            lambda conn: conn.execute(
                "SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT %s", (limit,)
            ).fetchall(),
        )
        return [Entry(_iso(at), actor, action, target, detail) for at, actor, action, target, detail in rows], 0


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def open_audit_log(directory: Path | None = None):
    """The audit log beside the user-data store this server uses (PostgreSQL when ATLAS_USERDATA_URL is set)."""
    url = paths.userdata_url()
    if directory is not None or not url:
        return FileAuditLog(directory)
    return PostgresAuditLog(url)


def to_csv(entries: list[Entry]) -> bytes:
    """The entries as CSV (UTF-8 with BOM, for spreadsheets); cells a spreadsheet would run as formulas are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([csv_safe_cell(getattr(entry, key)) for key in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
