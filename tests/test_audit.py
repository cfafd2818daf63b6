"""The audit log (analysis.audit) on both back ends: files (append-only JSON lines) and PostgreSQL."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from analysis import audit
from analysis.audit import FileAuditLog, PostgresAuditLog, open_audit_log


@pytest.fixture(params=["files", "postgres"])
def log(request, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    if request.param == "files":
        monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
        made = open_audit_log()
        assert isinstance(made, FileAuditLog)
    else:
        request.getfixturevalue("pg_url")
        made = open_audit_log()
        assert isinstance(made, PostgresAuditLog)
    return made


def test_entries_are_recorded_and_read_newest_first(log):
    assert log.read() == ([], 0)
    log.record("local user", "save", "alice-plan")
    log.record("erin@x.org", "import", "v0001 actuals 2024", "actuals.csv")
    entries, damaged = log.read()
    assert damaged == 0
    assert [(e.actor, e.action, e.target, e.detail) for e in entries] == [
        ("erin@x.org", "import", "v0001 actuals 2024", "actuals.csv"),
        ("local user", "save", "alice-plan", ""),
    ]
    assert entries[0].at.endswith("+00:00") and entries[0].at >= entries[1].at


def test_fields_are_bounded_and_actions_known(log):
    log.record("a" * 500, "delete", "n" * 5000, "d" * 50000)
    entry = log.read()[0][0]
    assert (len(entry.actor), len(entry.target), len(entry.detail)) == (200, 400, 2000)
    with pytest.raises(ValueError, match="unknown audit action"):
        log.record("x", "drop-table", "y")


def test_concurrent_writers_lose_no_entry(log):
    def write(i: int) -> None:
        for j in range(5):
            log.record(f"user{i}", "save", f"s{i}-{j}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries, damaged = log.read()
    assert damaged == 0
    assert sorted(e.target for e in entries) == sorted(f"s{i}-{j}" for i in range(8) for j in range(5))


def test_csv_export_keeps_text_as_text(log):
    log.record("=cmd()", "save", "+plan", "-x")
    rows = list(csv.reader(io.StringIO(audit.to_csv(log.read()[0]).decode("utf-8-sig"))))
    assert rows[0] == list(audit.COLUMNS)
    assert rows[1][1:] == ["'=cmd()", "save", "'+plan", "'-x"]


# ---------------------------------------------------------------- files only


def test_a_half_written_line_is_skipped_and_counted_and_the_next_entry_stays_whole(tmp_path):
    log = FileAuditLog(tmp_path)
    log.record("a", "save", "one")
    with open(log.path, "ab") as handle:
        handle.write(b'{"at": "2026-12-07T10:00:00+00:00", "actor": "kil')  # a writer killed mid-line
    log.record("b", "delete", "two")
    entries, damaged = log.read()
    assert damaged == 1
    assert [e.target for e in entries] == ["two", "one"]


def test_reads_are_bounded_to_the_newest_part_of_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(audit, "MAX_READ_BYTES", 2000)
    log = FileAuditLog(tmp_path)
    for i in range(100):
        log.record("u", "save", f"s{i:03d}")
    entries, damaged = log.read()
    assert damaged == 0  # the line the window cuts is dropped, not reported as damage
    assert entries[0].target == "s099" and 0 < len(entries) < 100
