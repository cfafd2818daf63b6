"""Repair a damaged user-data store (`python -m analysis repair-store`).

The app and the CLI refuse to write a store that does not validate, so damage never grows; this is
the one way back. It takes the stores' locks, copies every file it will change into
`<user_data_dir>/backups/repair-<UTC time>/`, then keeps what can be kept and says what it did:

- temporary files of interrupted writes are removed;
- saved scenarios: unreadable JSON becomes an empty store; entries with an unusable name or no values
  are dropped (they stay in the backup);
- imported versions: an entry keeps its place when its id is `vNNNN` and its rows file reads as an
  import file; wrong or missing fields are refilled from that file (row count, checksum, time) or
  set to safe values (a status that is not understood becomes `rolled_back`, so no figure changes
  without the user deciding); rows files on disk that the manifest lost come back as rolled-back
  versions named "recovered vNNNN"; every entry gets its rows file's sha256 (`rows_sha256`), and one
  whose file changed since it was imported is kept as it is now but rolled back. Rows files are never
  changed; one that no import would pass (not CSV, a value like `inf`, a period like `abcd`) is moved
  out of the store into the backup, so the store's check passes afterwards.

With `ATLAS_USERDATA_URL` set (a team deployment), import versions whose row in PostgreSQL fails the checks
are moved out of the database into `backups/repair-<UTC time>/database-imports/` (analysis.imports_pg.repair).

It reads every file with analysis.safejson and survives any content (tests/test_store_damage.py fuzzes it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from analysis import paths
from analysis.imports import (
    EDITED,
    MAX_NAME_CHARS,
    MAX_VERSION_NUMBER,
    STATUSES,
    STORE_FORMAT,
    VERSION_ID,
    ImportStore,
    _is_timestamp,
    file_sha256,
    manifest_problems,
    store_problem,
)
from analysis.safejson import UnsafeJSON, loads
from analysis.scenario import validate_name
from analysis.textsafe import redact_paths
from analysis.userstore import (
    SCENARIOS_FILE,
    StoreError,
    atomic_write_bytes,
    locked,
    remove_temp_files,
    scenario_problems,
)
from analysis.userstore import (
    STORE_FORMAT as SCENARIO_FORMAT,
)


@dataclass
class RepairReport:
    backup: Path | None = None
    actions: list[str] = field(default_factory=list)


def repair_store(directory: Path | None = None) -> RepairReport:
    """Repair both stores under `directory` (default: the user-data folder); see the module notes."""
    root = Path(directory or paths.user_data_dir())
    report = RepairReport()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = root / "backups" / f"repair-{stamp}"
    url = paths.userdata_url() if directory is None else ""
    if url:  # a team deployment: its import versions live in PostgreSQL
        from analysis.imports_pg import repair

        moved = repair(url, backup / "database-imports")
        if moved:
            report.actions += moved
            report.backup = backup
    if not root.is_dir():
        return report

    def keep_copy(path: Path) -> None:
        target = backup / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        report.backup = backup

    scenarios_path = root / SCENARIOS_FILE
    with locked(scenarios_path):
        for removed in remove_temp_files(root):
            report.actions.append(f"removed the temporary file {removed.name} of an interrupted write")
        if scenarios_path.exists():
            _repair_scenarios(scenarios_path, keep_copy, report)
    store = ImportStore(root)
    if store.directory.is_dir():
        with locked(store.manifest_path):
            for removed in remove_temp_files(store.directory):
                report.actions.append(f"removed the temporary file imports/{removed.name} of an interrupted write")
            _repair_imports(store, keep_copy, report)
    return report


def _repair_scenarios(path: Path, keep_copy, report: RepairReport) -> None:
    try:
        body = loads(path.read_bytes())
    except UnsafeJSON as exc:
        keep_copy(path)
        _write_json(path, {"format": SCENARIO_FORMAT, "version": 1, "scenarios": {}})
        report.actions.append(f"{path.name} could not be read ({redact_paths(exc)}); started an empty one")
        return
    if not scenario_problems(body):
        return
    keep_copy(path)
    entries = body.get("scenarios") if isinstance(body, dict) else None
    kept = {}
    for name, entry in (entries or {}).items() if isinstance(entries, dict) else ():
        try:
            usable = validate_name(name, stored=True) == name
        except ValueError:
            usable = False
        if usable and isinstance(entry, dict) and isinstance(entry.get("values"), dict):
            saved_at = entry.get("saved_at")
            kept[name] = {"values": entry["values"], "saved_at": saved_at if isinstance(saved_at, str) else ""}
        else:
            report.actions.append(f"dropped the saved scenario {str(name)[:40]!r}: no usable name or values")
    if not isinstance(entries, dict):
        report.actions.append(f"{path.name} was not a saved-scenario file; started an empty one")
    _write_json(path, {"format": SCENARIO_FORMAT, "version": 1, "scenarios": dict(sorted(kept.items()))})


def _repair_imports(store: ImportStore, keep_copy, report: RepairReport) -> None:
    manifest = store.manifest_path
    body: object = None
    if manifest.exists():
        try:
            body = loads(manifest.read_bytes())
        except UnsafeJSON as exc:
            report.actions.append(
                f"imports/{manifest.name} could not be read ({redact_paths(exc)}); rebuilt it from the rows files"
            )
    on_disk = sorted(p.stem for p in store.directory.glob("v*.csv") if VERSION_ID.match(p.stem))
    listed = body.get("versions") if isinstance(body, dict) and isinstance(body.get("versions"), list) else []
    sound = body is not None and not manifest_problems(body, store.directory) and store_problem(store.directory.parent) is None
    if sound and all(isinstance(e, dict) and e.get("rows_sha256") for e in listed):
        return
    if not manifest.exists() and not on_disk:
        return
    if manifest.exists():
        keep_copy(manifest)
    versions: dict[str, dict] = {}
    unusable: set[str] = set()
    for index, entry in enumerate(listed, start=1):
        fixed = _fixed_entry(store, entry, index, report, unusable)
        if fixed is None:
            continue
        if fixed["version_id"] in versions:
            report.actions.append(f"entry {index}: dropped a second entry for {fixed['version_id']}")
            continue
        versions[fixed["version_id"]] = fixed
    for version_id in on_disk:
        if version_id not in versions:
            recovered = _fixed_entry(store, {"version_id": version_id, "status": "rolled_back"}, None, report, unusable)
            if recovered is not None:
                recovered["name"] = f"recovered {version_id}"
                versions[version_id] = recovered
                report.actions.append(f"{version_id}.csv was not listed; added it as rolled back, named “recovered {version_id}”")
    for version_id in sorted(unusable - set(versions)):  # kept in the backup, out of the store, so the check passes
        path = store.directory / f"{version_id}.csv"
        if path.is_file():
            keep_copy(path)
            path.unlink()
            report.actions.append(f"moved imports/{version_id}.csv, which no import would pass, into the backup")
    numbers = [int(v[1:]) for v in versions] + [int(v[1:]) for v in on_disk]
    new_body = {
        "format": STORE_FORMAT,
        "revision": _whole(body, "revision") + 1,
        "last_number": min(MAX_VERSION_NUMBER, max([_whole(body, "last_number"), *numbers])),
        "versions": [versions[k] for k in sorted(versions)],
    }
    _write_json(manifest, new_body)
    report.actions.append(f"wrote imports/{manifest.name} with {len(versions)} version(s)")


def _whole(body: object, field: str) -> int:
    """`body[field]` when it is a whole number from 0 to 9,999 (a revision or version number), else 0."""
    value = body.get(field) if isinstance(body, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_VERSION_NUMBER else 0


def _fixed_entry(store: ImportStore, entry: object, index: int | None, report: RepairReport, unusable: set) -> dict | None:
    where = f"entry {index}" if index is not None else "a rows file"
    if not isinstance(entry, dict):
        report.actions.append(f"{where}: dropped, it was not a record")
        return None
    version_id = entry.get("version_id")
    if not isinstance(version_id, str) or not VERSION_ID.match(version_id):
        report.actions.append(f"{where}: dropped, its version_id {str(version_id)[:40]!r} is not v followed by four digits")
        return None
    path = store.directory / f"{version_id}.csv"
    if not path.is_file():
        report.actions.append(f"{where} ({version_id}): dropped, its rows file is missing")
        return None
    try:
        rows = store.rows(version_id)
        rows_sha256 = file_sha256(path)
    except (StoreError, OSError) as exc:
        report.actions.append(f"{where} ({version_id}): dropped, its rows file is not an import file ({redact_paths(exc)})")
        unusable.add(version_id)
        return None
    fixed = {
        "version_id": version_id,
        "name": entry.get("name"),
        "file_name": entry.get("file_name"),
        "sha256": entry.get("sha256"),
        "row_count": len(rows),
        "created_at": entry.get("created_at"),
        "status": entry.get("status"),
    }
    if not isinstance(fixed["name"], str) or not fixed["name"].strip() or len(fixed["name"]) > MAX_NAME_CHARS:
        fixed["name"] = version_id
    if not isinstance(fixed["sha256"], str):  # the uploaded file's checksum is gone; the stored rows' is the next best
        fixed["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    if not isinstance(fixed["file_name"], str):
        fixed["file_name"] = ""
    if not isinstance(fixed["created_at"], str) or not _is_timestamp(fixed["created_at"]):
        fixed["created_at"] = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    if fixed["status"] not in STATUSES:
        fixed["status"] = "rolled_back"
    if isinstance(entry.get("changed_at"), str):
        fixed["changed_at"] = entry["changed_at"]
    recorded = entry.get("rows_sha256")
    if isinstance(recorded, str) and recorded and recorded != rows_sha256:
        fixed["status"] = "rolled_back"  # its figures show again only when someone who knows the edit restores it
        report.actions.append(
            f"{where} ({version_id}): its rows file {EDITED}; kept as it is now, rolled back, with its new checksum"
        )
    fixed["rows_sha256"] = rows_sha256
    changed = sorted(k for k in fixed if entry.get(k) != fixed[k])
    if index is not None and changed:
        report.actions.append(f"{where} ({version_id}): set {', '.join(changed)} from its rows file or to safe values")
    return fixed


def _write_json(path: Path, body: dict) -> None:
    atomic_write_bytes(path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))
