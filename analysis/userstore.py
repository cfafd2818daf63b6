"""The user-data store: saved scenarios (and, through the same helpers, imported figures).

It lives under `paths.user_data_dir()`, apart from the rebuildable figure database. Every write
takes an exclusive file lock, writes a temporary file, fsyncs it and renames it over the old one,
so a failed or concurrent write never leaves a half-written or lost file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from analysis import auth, paths
from analysis.safejson import UnsafeJSON, loads
from analysis.scenario import BASELINE_NAME, StoredScenarioInvalid, all_params, parse_values, validate_name
from analysis.textsafe import redact_paths

SCENARIOS_FILE = "scenarios.json"
STORE_FORMAT = "compute-atlas-scenarios"


def atomic_write_bytes(path: Path, payload: bytes, *, exclusive: bool = False) -> None:
    """Replace `path` with `payload` in one step; on any error the previous file stays as it was.

    With `exclusive`, `path` must not exist yet (FileExistsError otherwise): the file appears whole
    through a hard link, so existing data is never replaced.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, new_file_mode())  # mkstemp makes 0600; a file written here is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp_name, path)
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


TEMP_SUFFIX = ".tmp"


def new_file_mode() -> int:
    """The mode `open()` gives a new file: 0666 less the process's umask (0644 under the usual 022).

    Read from /proc where it can be: setting the umask to read it back changes it for every thread meanwhile.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def remove_temp_files(directory: Path) -> list[Path]:
    """Delete the temporary files a killed write left in `directory`. Call it holding the lock that
    every writer there takes, so no write in progress loses its file."""
    removed = []
    for path in Path(directory).glob(f".*{TEMP_SUFFIX}"):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def remove_stale_temp_files(directory: Path | None = None) -> list[Path]:
    """At start-up: temporary files of interrupted writes in the scenario and import stores, each
    removed under its store's lock."""
    root = directory or paths.user_data_dir()
    removed = []
    for folder, lock_target in ((root, root / SCENARIOS_FILE), (root / "imports", root / "imports" / "versions.json")):
        if folder.is_dir() and any(folder.glob(f".*{TEMP_SUFFIX}")):  # look first: no lock files in a clean store
            with locked(lock_target):
                removed += remove_temp_files(folder)
    return removed


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `<path>.lock`, across threads and processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class StoreError(Exception):
    """The store file exists but cannot be read; nothing is overwritten while this is so.

    `problems` lists what is wrong, for `python -m analysis repair-store`; the message names no server path.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


def scenario_problems(body: object) -> list[str]:
    """Everything wrong with a saved-scenario file as read (empty when it is sound)."""
    if not isinstance(body, dict) or body.get("format") != STORE_FORMAT or not isinstance(body.get("scenarios"), dict):
        return ["the file is not a saved-scenario file (format or scenarios missing)"]
    problems = []
    for name, entry in body["scenarios"].items():
        shown = name[:40]
        try:
            valid = validate_name(name, stored=True) == name
        except ValueError:
            valid = False
        if not valid:
            problems.append(f"the name {shown!r} cannot be a scenario name")
        elif not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            problems.append(f"scenario {shown!r} has no values")
        elif not isinstance(entry.get("saved_at", ""), str):
            problems.append(f"scenario {shown!r} has a saved_at that is not text")
        elif not isinstance(entry.get("owner", ""), str) or not isinstance(entry.get("shared", True), bool):
            problems.append(f"scenario {shown!r} has an owner that is not text or a shared flag that is not true/false")
    return problems


def checked_for_save(name: str, values: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    """The name as stored and the known values in a stable order, as every back end saves them; ValueError for a
    bad name or value."""
    name = validate_name(name)
    params = all_params()
    _, problems = parse_values({n: v for n, v in values.items() if n in params})
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return name, {n: values[n] for n in sorted(params) if n in values}


def checked_on_load(name: str, stored_values: Mapping[str, object]) -> dict[str, object]:
    """A stored scenario's values, validated again on every load: one saved before a check existed is reported
    (StoredScenarioInvalid), not run."""
    values, problems = parse_values(stored_values)
    if problems:
        raise StoredScenarioInvalid(name, problems)
    return values


class ScenarioStore:
    """Named scenarios in one JSON file. `baseline` is the report's defaults and cannot be changed."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or paths.user_data_dir()) / SCENARIOS_FILE

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            body = loads(self.path.read_bytes())
        except (OSError, UnsafeJSON) as exc:  # also a file nested 100,000 deep or holding a 5,000-digit number
            raise StoreError(f"cannot read {self.path.name}: {redact_paths(exc)}", [redact_paths(exc)]) from None
        problems = scenario_problems(body)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(f"{self.path.name} is damaged: {problems[0]}{more}", problems)
        return body["scenarios"]

    def _write(self, scenarios: Mapping[str, dict]) -> None:
        body = {"format": STORE_FORMAT, "version": 1, "scenarios": dict(sorted(scenarios.items()))}
        atomic_write_bytes(self.path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))

    def names(self) -> list[str]:
        return [BASELINE_NAME, *sorted(self._read())]

    def load(self, name: str) -> dict[str, object]:
        """Values of a saved scenario over today's defaults (parameters added since are at default).

        KeyError when there is no such scenario; StoredScenarioInvalid when a saved value is refused today."""
        if name == BASELINE_NAME:
            return parse_values({})[0]
        stored = self._read().get(name)
        if stored is None:
            raise KeyError(name)
        return checked_on_load(name, stored.get("values", {}))

    def save(
        self, name: str, values: Mapping[str, object], *, actor: auth.Identity = auth.SINGLE_USER, shared: bool = True
    ) -> str:
        """Save (or overwrite) a scenario; returns the name as stored. ValueError for a bad name or value;
        auth.PermissionDenied when `actor` may not replace the scenario already saved under that name."""
        name, kept = checked_for_save(name, values)
        with locked(self.path):
            remove_temp_files(self.path.parent)
            scenarios = self._read()
            record = scenario_record(name, kept, scenarios.get(name), actor, shared)
            scenarios[name] = record
            self._write(scenarios)
        return name

    def delete(self, name: str, *, actor: auth.Identity = auth.SINGLE_USER) -> None:
        if name == BASELINE_NAME:
            raise ValueError("the baseline scenario cannot be deleted")
        with locked(self.path):
            remove_temp_files(self.path.parent)
            scenarios = self._read()
            if name not in scenarios:
                raise KeyError(name)
            auth.check_change_scenario(actor, name, scenarios[name].get("owner"))
            del scenarios[name]
            self._write(scenarios)

    def owners(self) -> dict[str, tuple[str | None, bool]]:
        """Each saved scenario's owner (None: shared by all, as every scenario saved before owners existed) and
        whether it is shared."""
        return {name: (entry.get("owner") or None, entry.get("shared", True)) for name, entry in self._read().items()}

    def saved_at(self, name: str) -> str:
        return "" if name == BASELINE_NAME else str(self._read().get(name, {}).get("saved_at", ""))


def scenario_record(
    name: str, kept: dict[str, object], existing: Mapping[str, object] | None, actor: auth.Identity, shared: bool
) -> dict[str, object]:
    """What a save stores, once `actor` may: a replaced scenario keeps its owner (an editor's change does not take
    it over); a new one belongs to the signed-in user (nobody in single-user mode)."""
    if existing is None:
        auth.check_save_new(actor)
        owner = auth.owner_for_new(actor)
    else:
        owner = existing.get("owner") or None
        auth.check_change_scenario(actor, name, owner)
    record: dict[str, object] = {"values": kept, "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if owner:
        record["owner"] = owner
    record["shared"] = bool(shared) or not owner
    return record


def visible_names(store, who: auth.Identity) -> list[str]:
    """The scenarios `who` may see, baseline first (the API and the pages list these, never `names()`)."""
    owners = store.owners()
    return [n for n in store.names() if n == BASELINE_NAME or (n in owners and auth.can_view_scenario(who, *owners[n]))]


def may_view(store, who: auth.Identity, name: str) -> bool:
    if name == BASELINE_NAME:
        return True
    found = store.owners().get(name)
    return found is None or auth.can_view_scenario(who, *found)  # an unknown name is the store's KeyError to report


def open_scenario_store(directory: Path | None = None):
    """The saved-scenario store this server uses: PostgreSQL when `ATLAS_USERDATA_URL` names one
    (a team deployment), otherwise the files under `directory` or `paths.user_data_dir()`.

    An `ATLAS_USERDATA_URL` that is not a PostgreSQL URL makes every call a StoreError, never a silent
    fall back to files (a team would then save onto one server's disk unnoticed)."""
    url = paths.userdata_url()
    if directory is not None or not url:
        return ScenarioStore(directory)
    from analysis.userstore_pg import PostgresScenarioStore

    return PostgresScenarioStore(url)
