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

from analysis import paths
from analysis.scenario import BASELINE_NAME, all_params, parse_values, validate_name

SCENARIOS_FILE = "scenarios.json"
STORE_FORMAT = "compute-atlas-scenarios"


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload` in one step; on any error the previous file stays as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


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
    """The store file exists but cannot be read; nothing is overwritten while this is so."""


class ScenarioStore:
    """Named scenarios in one JSON file. `baseline` is the report's defaults and cannot be changed."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or paths.user_data_dir()) / SCENARIOS_FILE

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"cannot read saved scenarios in {self.path}: {exc}") from None
        if not isinstance(body, dict) or body.get("format") != STORE_FORMAT or not isinstance(body.get("scenarios"), dict):
            raise StoreError(f"{self.path} is not a saved-scenario file")
        return body["scenarios"]

    def _write(self, scenarios: Mapping[str, dict]) -> None:
        body = {"format": STORE_FORMAT, "version": 1, "scenarios": dict(sorted(scenarios.items()))}
        atomic_write_bytes(self.path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))

    def names(self) -> list[str]:
        return [BASELINE_NAME, *sorted(self._read())]

    def load(self, name: str) -> dict[str, object]:
        """Values of a saved scenario over today's defaults (parameters added since are at default)."""
        if name == BASELINE_NAME:
            return parse_values({})[0]
        stored = self._read().get(name)
        if stored is None:
            raise KeyError(name)
        values, _problems = parse_values(stored.get("values", {}))
        return values

    def save(self, name: str, values: Mapping[str, object]) -> str:
        """Save (or overwrite) a scenario; returns the name as stored. ValueError for a bad name or value."""
        name = validate_name(name)
        params = all_params()
        _, problems = parse_values({n: v for n, v in values.items() if n in params})
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        record = {
            "values": {n: values[n] for n in sorted(params) if n in values},
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with locked(self.path):
            scenarios = self._read()
            scenarios[name] = record
            self._write(scenarios)
        return name

    def delete(self, name: str) -> None:
        if name == BASELINE_NAME:
            raise ValueError("the baseline scenario cannot be deleted")
        with locked(self.path):
            scenarios = self._read()
            if name not in scenarios:
                raise KeyError(name)
            del scenarios[name]
            self._write(scenarios)

    def saved_at(self, name: str) -> str:
        return "" if name == BASELINE_NAME else str(self._read().get(name, {}).get("saved_at", ""))
