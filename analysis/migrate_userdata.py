"""Move the file store's user data into PostgreSQL (`python -m analysis migrate-userdata --to postgresql://…`).

What moves: every saved scenario (name, values, when saved, its owner and whether it is shared), every audit-log
entry, and every import version (its id, name, file name,
checksums, times, status and rows as stored), and the highest version number ever given out, so a number pruned
from the files is not given out again in the database. The files are read, never changed: they stay as a
backup until the user removes them.

It is safe to run again and it never overwrites:
- an item already in the database as the files hold it is reported as "already present" and left alone, so a
  second run changes nothing;
- an item the database holds differently (a scenario of the same name with other values, a version of the same
  id with other rows or another name, or an id the database has given out and pruned) is a conflict: the command
  writes nothing at all, lists every conflict, and both sides stay as they were;
- a damaged file store (the pages' warning) is refused before anything is read into the database: repair it first
  (`python -m analysis repair-store`).
Everything is added in one transaction, under the locks the stores' writers take, so servers already using the
database lose nothing meanwhile and a killed run adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.audit import FileAuditLog
from analysis.imports import ImportStore, Version, store_problem
from analysis.safejson import loads
from analysis.userstore import ScenarioStore, StoreError
from analysis.userstore_pg import MAX_VALUES_BYTES, connected, is_postgres_url


@dataclass
class MigrationReport:
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


class MigrationRefused(StoreError):
    """The file store cannot be moved as it is (damaged, or a value too large for the database); nothing was written."""


def migrate_userdata(url: str, directory: Path | None = None) -> MigrationReport:
    """Add the files' scenarios and import versions under `directory` (default: the user-data folder) to the
    database at `url`; see the module notes. With conflicts, the report lists them and nothing is written."""
    if not is_postgres_url(url):
        raise ValueError("--to must name a PostgreSQL database (postgresql://…)")
    root = Path(directory or paths.user_data_dir())
    scenarios = _file_scenarios(root)
    versions, last_number = _file_versions(root)
    report = MigrationReport()
    with connected(url) as conn:
        # The writers' locks: a scenario save waits on the table lock, an import on the state row.
        conn.execute("LOCK TABLE scenarios IN SHARE ROW EXCLUSIVE MODE")
        state_last = int(conn.execute("SELECT last_number FROM import_state FOR UPDATE").fetchone()[0])
        new_scenarios = _compare_scenarios(conn, scenarios, report)
        new_versions = _compare_versions(conn, versions, state_last, report)
        conn.execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
        new_entries = _new_audit_entries(conn, root, report)
        if report.conflicts:
            report.added.clear()
            return report  # leaving the block commits a transaction that wrote nothing
        for name, (values_json, saved_at, owner, shared) in new_scenarios.items():
            conn.execute(
                "INSERT INTO scenarios (name, values_json, saved_at, owner, shared) VALUES (%s, %s, %s, %s, %s)",
                (name, values_json, saved_at, owner, shared),
            )
        for entry in new_entries:
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (%s, %s, %s, %s, %s)",
                (entry.at, entry.actor, entry.action, entry.target, entry.detail),
            )
        if last_number > state_last and not new_versions:  # every version pruned from the files: keep their numbers
            report.added.append(f"the highest import version number given out, v{last_number:04d}")
        if new_versions or last_number > state_last:
            _add_versions(conn, new_versions, last_number)
    return report


def _file_scenarios(root: Path) -> dict[str, tuple[str, str, str | None, bool]]:
    """name -> (values as JSON, saved_at, owner, shared) from scenarios.json; MigrationRefused when damaged."""
    try:
        stored = ScenarioStore(root)._read()
    except StoreError as exc:
        raise MigrationRefused(f"the saved scenarios cannot be moved: {exc}", exc.problems) from None
    found = {}
    for name, entry in stored.items():
        values_json = json.dumps(entry["values"], ensure_ascii=False)
        if len(values_json.encode("utf-8")) > MAX_VALUES_BYTES:
            raise MigrationRefused(f"scenario {name[:40]!r} has values larger than {MAX_VALUES_BYTES} bytes", [])
        # no owner: saved before sign-in, shared by all (as the file store reads it)
        found[name] = (values_json, str(entry.get("saved_at", "")), entry.get("owner") or None, entry.get("shared", True))
    return found


def _new_audit_entries(conn, root: Path, report: MigrationReport) -> list:
    """The file log's entries the database does not hold yet (same time, actor, action, target and detail)."""
    entries, damaged = FileAuditLog(root).read(limit=None)
    if damaged:
        report.present.append(f"{damaged} unreadable audit-log line(s) left in the file")
    held = {
        (at.isoformat(timespec="seconds"), actor, action, target, detail)
        for at, actor, action, target, detail in conn.execute(
            "SELECT at AT TIME ZONE 'UTC', actor, action, target, detail FROM audit_log"
        ).fetchall()
    }
    new = []
    for entry in reversed(entries):  # oldest first, so the table's ids keep the file's order
        key = (entry.at.removesuffix("+00:00"), entry.actor, entry.action, entry.target, entry.detail)
        if key in held:
            continue
        held.add(key)
        new.append(entry)
    if new:
        report.added.append(f"{len(new)} audit-log entries")
    elif entries:
        report.present.append(f"{len(entries)} audit-log entries")
    return new


def _file_versions(root: Path) -> tuple[list[tuple[Version, bytes]], int]:
    """Every import version with its rows as stored, and the manifest's last_number; MigrationRefused while the
    store's check finds damage."""
    damaged = store_problem(root)
    if damaged is not None:
        raise MigrationRefused(f"the import versions cannot be moved: {damaged}", damaged.problems)
    store = ImportStore(root)
    if not store.manifest_path.exists():
        return [], 0
    body = store._read()
    found = []
    for version in (Version(**v) for v in body["versions"]):
        payload = store._rows_path(version.version_id).read_bytes()
        store.typed_rows(version.version_id, version.rows_sha256)  # as the check read them, or StoreError
        if not version.rows_sha256:  # a manifest written before rows checksums were kept
            from hashlib import sha256

            version = Version(**{**version.__dict__, "rows_sha256": sha256(payload).hexdigest()})
        found.append((version, payload))
    return found, int(body.get("last_number", 0))


def _compare_scenarios(conn, scenarios: dict[str, tuple[str, str]], report: MigrationReport) -> dict:
    new = {}
    for name, stored in scenarios.items():
        values_json = stored[0]
        row = conn.execute("SELECT values_json FROM scenarios WHERE name = %s", (name,)).fetchone()
        label = f"scenario {name!r}"
        if row is None:
            new[name] = stored
            report.added.append(label)
        elif _same_values(row[0], values_json):
            report.present.append(label)
        else:
            report.conflicts.append(f"{label}: the database holds a scenario of this name with other values")
    return new


def _same_values(stored_json: str, values_json: str) -> bool:
    try:
        return loads(stored_json) == loads(values_json)
    except Exception:  # a damaged row in the database is not the same scenario
        return False


_SAME = ("name", "file_name", "sha256", "row_count", "created_at", "rows_sha256")


def _compare_versions(conn, versions: list[tuple[Version, bytes]], state_last: int, report: MigrationReport) -> list:
    new = []
    for version, payload in versions:
        label = f"import version {version.version_id} {version.name!r}"
        row = conn.execute(
            "SELECT name, file_name, sha256, row_count, created_at, rows_sha256, status FROM import_versions"
            " WHERE version_id = %s",
            (version.version_id,),
        ).fetchone()
        if row is None:
            if int(version.version_id[1:]) <= state_last:
                report.conflicts.append(f"{label}: the database has given out {version.version_id} already (and pruned it)")
            else:
                new.append((version, payload))
                report.added.append(label)
        elif tuple(row[:6]) == tuple(getattr(version, f) for f in _SAME):
            report.present.append(label)  # its status is the database's now: a rollback there is kept
        else:
            report.conflicts.append(f"{label}: the database holds {version.version_id} with other rows or another name")
    return new


def _add_versions(conn, versions: list[tuple[Version, bytes]], last_number: int) -> None:
    from analysis.imports_pg import add_versions

    add_versions(conn, versions, last_number)
