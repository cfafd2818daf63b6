"""Imported figures: newer actuals (or revised forecasts) that users add beside the report's numbers.

The file. An import is a CSV with the columns of datasets/figures.csv, except that `source_id` (a row
of sources.csv) becomes `source`: the full citation of where the number was published, e.g.
"IDC, China Semi-annual Accelerated Computing Market Tracker 2024H2 (accessed 2025-04-30)".
It is checked with the build's own rules (analysis.build: cell types, formulas, allowed values,
known metrics/entities/units from the built database, periods, unit dimensions, splits summing to 100,
duplicate ids) and three more: at most MAX_IMPORT_BYTES (checked before reading), UTF-8, and ids
that are not already figures of the report.

The store. Applying a checked file adds a numbered, named version to the user-data store:
    <user_data_dir>/imports/versions.json    manifest: every version, in order, with its status
    <user_data_dir>/imports/<vNNNN>.csv      that version's rows as checked (UTF-8)
Every write takes the manifest's lock and replaces files atomically (analysis.userstore). The report's
figures live in the rebuildable database and are never touched. Rolling a version back marks it
`rolled_back` (its file stays, so it can be restored). When two active versions carry the same
figure_id, the later one wins: a correction is a new version, and rolling it back brings back the earlier value.

With `ATLAS_USERDATA_URL` naming PostgreSQL (a team deployment), the versions live in that database instead
(analysis/imports_pg.py, through `open_import_store`), with the same checks, numbering and quota, and
`revision`, `store_problem` and `readable_active_rows` read the database's state, shared by every server.

Imported rows are kept apart from the report's: origin `imported`, source_id `import:<version>`,
the citation as producer, plus the columns `version` and `version_name`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from analysis import paths
from analysis.build import (
    PERIOD_PATTERN,
    LoadedTable,
    Problem,
    check_figures,
    check_keys,
    check_references,
    read_csv_text,
    type_rows,
)
from analysis.db import query
from analysis.format import is_blank
from analysis.i18n import t
from analysis.safejson import UnsafeJSON, loads
from analysis.scenario import Param
from analysis.schema import TABLES_BY_NAME, Column, Table
from analysis.textsafe import escape_markdown, normalize_text, redact_paths, refused_character, without_refused_characters
from analysis.userstore import StoreError, atomic_write_bytes, locked, remove_temp_files

# About a hundred times datasets/figures.csv: anything bigger is not a set of figures. One limit in one unit for
# the uploader, the CLI, this check and the README: a MB is 10**6 bytes, as Streamlit's uploader counts it in the
# browser (1024**2 only on Windows, and on its server, where a file over this limit is still refused here).
BYTES_PER_MB = 1_000_000
MAX_IMPORT_MB = 2
MAX_IMPORT_BYTES = MAX_IMPORT_MB * BYTES_PER_MB
MAX_NAME_CHARS = 60
STORE_FORMAT = "compute-atlas-imports"
IMPORTED_ORIGIN = "imported"
LAYERS = ("both", "report", "imported")

IMPORT_TABLE = Table(
    "import",
    "figure_id",
    tuple(Column("source", "text", required=True) if c.name == "source_id" else c for c in TABLES_BY_NAME["figures"].columns),
    "Figures added after the report, each with its own citation",
)
IMPORT_COLUMNS = IMPORT_TABLE.column_names
REFERENCE_TABLES = ("units", "metrics", "entities")

PARAMS = (
    Param(
        "imports_layer",
        "both",
        kind="choice",
        choices=LAYERS,
        label_key="imports.layer",
        help_key="imports.layer_help",
        page_id="figures",
    ),
)


# ---------------------------------------------------------------- checking a file


@dataclass(frozen=True)
class ImportCheck:
    """The outcome of checking one file: its rows (typed, as imported) or the problems that stop it."""

    file_name: str
    sha256: str
    rows: tuple[dict, ...]
    problems: tuple[Problem, ...]
    skipped: int = 0  # rows left as the template gave them (nothing filled in), not imported

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def template_csv(con: duckdb.DuckDBPyConnection | None = None) -> bytes:
    """The header; with a connection, one row to fill in per dated forecast of the report."""
    out = io.StringIO()
    writer = csv.DictWriter(out, IMPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    if con is not None:
        forecasts = query(
            con,
            "SELECT figure_id, metric, entity, segment, period, unit FROM figures "
            "WHERE kind = 'forecast' AND period IS NOT NULL ORDER BY rowid",
        )
        for row in forecasts.itertuples():
            cells = {"figure_id": f"{row.figure_id}_actual", "metric": row.metric, "entity": row.entity}
            cells |= {
                "segment": "" if is_blank(row.segment) else row.segment,
                "period": row.period,
                "unit": row.unit,
                "qualifier": "none",
                "kind": "reported",
            }
            writer.writerow(cells)
    return out.getvalue().encode("utf-8-sig")


def check_import(con: duckdb.DuckDBPyConnection, payload: bytes, file_name: str) -> ImportCheck:
    """Check an uploaded file with the build's rules against the built database; nothing is written."""
    digest = hashlib.sha256(payload).hexdigest()
    problems: list[Problem] = []
    text = _decode(payload, file_name, problems)
    table = read_csv_text(IMPORT_TABLE, text, problems) if text is not None else None
    skipped = 0
    if table is not None:
        _normalize_text_cells(table, problems)
        filled = [(line, raw) for line, raw in table.rows if not _unfilled(raw)]
        skipped = len(table.rows) - len(filled)
        table = replace(table, rows=filled)
        if not table.rows:
            problems.append(Problem(file_name, None, None, "the file has a header but no rows"))
        type_rows(table, problems)
        check_keys(table, problems)
        for row in table.typed:
            row["source_id"] = row["source"]  # the build groups splits by source; here the citation is the source
        tables = {"figures": table, **_reference_tables(con)}
        check_references(tables, problems)
        check_figures(tables, problems)
        _check_new_to_report(con, table, problems)
    problems = [replace(p, file=file_name) for p in problems]
    problems.sort(key=lambda p: p.line or 0)
    rows = tuple(_public_row(r) for r in table.typed) if table is not None and not problems else ()
    return ImportCheck(file_name, digest, rows, tuple(problems), skipped)


def _normalize_text_cells(table: LoadedTable, problems: list[Problem]) -> None:
    """Every cell in NFC; a cell holding a control, format or separator character (NUL, U+202E, U+200B, U+FEFF,
    U+061C, U+2028…) is reported with the character, its line, column and position, and checked on without it,
    so the same cell is not reported twice."""
    for line, raw in table.rows:
        for column, value in raw.items():
            if column is None or not isinstance(value, str):  # surplus cells: reported as a malformed row
                continue
            text = normalize_text(value)
            found = refused_character(text)
            if found:
                reason = f"contains {found.code} ({found.name}) at character {found.position}"
                problems.append(Problem(table.spec.file_name, line, column, reason))
                text = without_refused_characters(text)
            raw[column] = text


# A row of the forecasts template comes with its ids filled in; until one of these holds something,
# it is a row the user chose not to fill, not a figure with everything missing.
FILLED_COLUMNS = ("value", "value_low", "value_high", "printed", "source", "note")


def _unfilled(raw: dict) -> bool:
    if None in raw:  # surplus cells: a malformed row, to be reported
        return False
    return all(is_blank(raw.get(c)) or not str(raw.get(c)).strip() for c in FILLED_COLUMNS)


def check_import_file(con: duckdb.DuckDBPyConnection, path: Path) -> ImportCheck:
    """As `check_import`, reading the file only when it is within the size limit."""
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        return ImportCheck(path.name, "", (), (_too_large(path.name, size),))
    return check_import(con, path.read_bytes(), path.name)


def _decode(payload: bytes, file_name: str, problems: list[Problem]) -> str | None:
    if len(payload) > MAX_IMPORT_BYTES:
        problems.append(_too_large(file_name, len(payload)))
        return None
    if not payload.strip():
        problems.append(Problem(file_name, None, None, "the file is empty"))
        return None
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = f"{exc.reason} at byte {exc.start}"
        try:
            payload.decode("gb18030")
        except UnicodeDecodeError:
            problems.append(Problem(file_name, None, None, f"not UTF-8 text ({where})"))
        else:
            problems.append(Problem(file_name, None, None, f"not UTF-8 text ({where}); it reads as GBK: save it as CSV UTF-8"))
        return None


def _too_large(file_name: str, size: int) -> Problem:
    # Rounded up to 0.01 MB, so a file just over the limit never reads as at it ("2.00 MB; the limit is 2 MB").
    shown = math.ceil(size * 100 / BYTES_PER_MB) / 100
    return Problem(file_name, None, None, f"the file is {shown:.2f} MB; the limit is {MAX_IMPORT_MB} MB")


def _reference_tables(con: duckdb.DuckDBPyConnection) -> dict[str, LoadedTable]:
    """The built database's metrics, entities and units in the shape the build's checks read."""
    return {
        name: LoadedTable(TABLES_BY_NAME[name], [], query(con, f'SELECT * FROM "{name}"').to_dict("records"))
        for name in REFERENCE_TABLES
    }


def _check_new_to_report(con: duckdb.DuckDBPyConnection, table: LoadedTable, problems: list[Problem]) -> None:
    report_ids = set(query(con, "SELECT figure_id FROM figures")["figure_id"])
    for row in table.typed:
        if row["figure_id"] in report_ids:
            reason = f"figure_id {row['figure_id']!r} is already a figure of the report; give the new figure its own id"
            problems.append(Problem(table.spec.file_name, row["_line"], "figure_id", reason))


def _public_row(typed: dict) -> dict:
    return {c: typed[c] for c in IMPORT_COLUMNS}


# ---------------------------------------------------------------- messages


# The build's reasons (English, for logs and the CLI) matched to translated messages for the app.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"the file is empty", "empty"),
    (r"the file has a header but no rows", "no_rows"),
    (r"the file is (?P<size>\S+) MB; the limit is (?P<limit>\S+) MB", "too_large"),
    (r"not UTF-8 text \((?P<detail>.*)\); it reads as GBK: save it as CSV UTF-8", "gbk"),
    (r"not UTF-8 text \((?P<detail>.*)\)", "not_utf8"),
    (r"not valid CSV: (?P<detail>.*)", "bad_csv"),
    (r"missing column\(s\): (?P<columns>.*)", "missing_columns"),
    (r"duplicate column\(s\): (?P<columns>.*)", "duplicate_columns"),
    (r"contains a control or text-direction character", "control_chars"),
    (r"contains (?P<char>U\+[0-9A-F]{4,6}) \((?P<char_name>[A-Z0-9 -]+)\) at character (?P<position>\d+)", "refused_char"),
    (r"is (?P<length>[\d,]+) characters long; the limit is (?P<limit>[\d,]+)", "too_long"),
    (r"share (?P<value>\S+) is outside 0–100", "share_range"),
    (r"unexpected column\(s\): (?P<columns>.*)", "extra_columns"),
    (r"row has fewer cells than the header", "short_row"),
    (r"row has more cells than the header", "long_row"),
    (r"is required but empty", "required"),
    (r"looks like a spreadsheet formula: (?P<value>.*)", "formula"),
    (r"unknown value (?P<value>.*) \(allowed: (?P<allowed>.*)\)", "choice"),
    (r"not a number: (?P<value>.*)", "not_number"),
    (r"not a finite number: (?P<value>.*)", "not_finite"),
    (r"too close to zero to be told from zero: (?P<value>.*)", "underflow"),
    (r"duplicate key (?P<value>.*) \(first on line (?P<first>\d+)\)", "duplicate"),
    (r"figure_id (?P<value>.*) is already a figure of the report.*", "in_report"),
    (r"unknown (?P<what>metric|entity|unit) (?P<value>.*)", "unknown_reference"),
    (r"needs a value, or both value_low and value_high", "no_value"),
    (r"value_low and value_high must be given together", "half_range"),
    (r"value_low (?P<low>\S+) is above value_high (?P<high>\S+)", "low_above_high"),
    (r"not a year, YYYY-MM or YYYY-YYYY range: (?P<value>.*)", "bad_period"),
    (r"range must run forwards: (?P<value>.*)", "backward_range"),
    (r"unit (?P<unit>\S+) measures (?P<dimension>\S+), but metric (?P<metric>\S+) is in (?P<expected>\S+)", "unit_dimension"),
    (r"split (?P<metric>\S+) for (?P<entity>\S+) (?P<period>\S+) sums to (?P<total>\S+), not 100 .*", "split"),
)
_REASON_PATTERNS = tuple((re.compile(f"^{pattern}$"), code) for pattern, code in _REASONS)


def reason_code(reason: str) -> tuple[str, dict[str, str]]:
    """('not_number', {'value': "'abc'"}) for a build reason; ('', {}) when it is not one we know."""
    for pattern, code in _REASON_PATTERNS:
        match = pattern.match(reason)
        if match:
            return code, match.groupdict()
    return "", {}


def describe_problem(problem: Problem, lang: str) -> str:
    """'Line 3, column value: not a number ('abc')' in zh or en; unknown reasons are shown as written."""
    code, values = reason_code(problem.reason)
    if code == "unknown_reference":
        values["what"] = t(f"imports.what.{values['what']}", lang)
    values["column"] = problem.column or ""
    reason = t(f"imports.reason.{code}", lang, **values) if code else problem.reason
    if problem.line is None:
        return reason
    if problem.column:
        return t("imports.at_line_column", lang, line=problem.line, column=problem.column, reason=reason)
    return t("imports.at_line", lang, line=problem.line, reason=reason)


def problems_markdown(problems: tuple[Problem, ...], lang: str, limit: int) -> str:
    """The first `limit` problems as a Markdown list, one translated line each."""
    return "\n".join(f"- {escape_markdown(describe_problem(p, lang))}" for p in problems[:limit])


# ---------------------------------------------------------------- the store


@dataclass(frozen=True)
class Version:
    version_id: str
    name: str
    file_name: str
    sha256: str
    row_count: int
    created_at: str
    status: str  # active | rolled_back
    changed_at: str = ""
    rows_sha256: str = ""  # of the stored rows file, to notice an edit; "" in a manifest written before it was kept

    @property
    def active(self) -> bool:
        return self.status == "active"


class ImportNameError(ValueError):
    """`code` picks the translated message (imports.name_<code>); `details` fills it in."""

    def __init__(self, code: str, message: str, **details: object):
        super().__init__(message)
        self.code = code
        self.details = details


def validate_version_name(name: str) -> str:
    """A version name as stored (NFC, spaces collapsed); control, format and separator characters are refused."""
    text = normalize_text(name)
    found = refused_character(text)
    if found:
        raise ImportNameError(
            "bad_char",
            f"a version name cannot contain {found.code} ({found.name}), found at character {found.position}",
            char=found.code,
            char_name=found.name,
            position=found.position,
        )
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ImportNameError("empty", "a version needs a name")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ImportNameError("too_long", f"a version name has at most {MAX_NAME_CHARS} characters")
    return cleaned


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


VERSION_ID = re.compile(r"^v\d{4}$", re.ASCII)
STATUSES = ("active", "rolled_back")
_TEXT_FIELDS = ("version_id", "name", "file_name", "sha256", "created_at", "status")
_OPTIONAL_TEXT_FIELDS = ("changed_at", "rows_sha256")


def manifest_problems(body: object, directory: Path) -> list[str]:
    """Everything wrong with a manifest as read (empty when it is sound): fields, types, ids, rows files."""
    if not isinstance(body, dict) or body.get("format") != STORE_FORMAT or not isinstance(body.get("versions"), list):
        return ["the file is not an import manifest (format or versions missing)"]
    problems = []
    revision = body.get("revision", 0)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        problems.append(f"revision {str(revision)[:40]!r} is not a whole number")
    last_number = body.get("last_number", 0)
    if isinstance(last_number, bool) or not isinstance(last_number, int) or not 0 <= last_number <= MAX_VERSION_NUMBER:
        problems.append(f"last_number {str(last_number)[:40]!r} is not a version number")
    seen: set[str] = set()
    for index, entry in enumerate(body["versions"], start=1):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is not a record")
            continue
        missing = [f for f in _TEXT_FIELDS + ("row_count",) if f not in entry]
        extra = sorted(set(entry) - set(_TEXT_FIELDS) - {"row_count", *_OPTIONAL_TEXT_FIELDS})
        if missing or extra:
            problems.append(f"{where}: missing {', '.join(missing) or '-'}; unknown {', '.join(extra) or '-'}")
            continue
        wrong = [f for f in (*_TEXT_FIELDS, *_OPTIONAL_TEXT_FIELDS) if f in entry and not isinstance(entry[f], str)]
        if isinstance(entry["row_count"], bool) or not isinstance(entry["row_count"], int) or entry["row_count"] < 0:
            wrong.append("row_count")
        if wrong:
            problems.append(f"{where}: wrong type of {', '.join(wrong)}")
            continue
        version_id = entry["version_id"]
        if not VERSION_ID.match(version_id):
            problems.append(f"{where}: version_id {version_id[:40]!r} is not v followed by four digits")
            continue
        if version_id in seen:
            problems.append(f"{where}: {version_id} appears twice")
        seen.add(version_id)
        if entry["status"] not in STATUSES:
            problems.append(f"{where}: status {entry['status'][:40]!r} is not one of {', '.join(STATUSES)}")
        if not _is_timestamp(entry["created_at"]):
            problems.append(f"{where}: created_at {entry['created_at'][:40]!r} is not a date and time")
        if not (directory / f"{version_id}.csv").is_file():
            problems.append(f"{where}: the rows file {version_id}.csv is missing")
    return problems


def _is_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


MAX_VERSION_NUMBER = 9999  # ids are v0001 … v9999
# The quota of one store, so imports cannot fill the disk (9,999 versions of 2 MB would be 20 GB). Settings,
# read when a version is added: ATLAS_IMPORT_MAX_VERSIONS versions (every status counts), ATLAS_IMPORT_MAX_MB
# megabytes of stored rows files. `python -m analysis prune-imports --keep N` removes old rolled-back versions.
MAX_VERSIONS_ENV, MAX_MB_ENV = "ATLAS_IMPORT_MAX_VERSIONS", "ATLAS_IMPORT_MAX_MB"
DEFAULT_MAX_VERSIONS, DEFAULT_MAX_MB = 200, 100


@dataclass(frozen=True)
class Quota:
    versions: int
    megabytes: float

    @property
    def bytes(self) -> int:
        return int(self.megabytes * 1024 * 1024)


def quota() -> Quota:
    """The store's quota from the environment; a setting that is not a positive number keeps its default."""
    return Quota(
        _positive_setting(MAX_VERSIONS_ENV, DEFAULT_MAX_VERSIONS, int),
        _positive_setting(MAX_MB_ENV, DEFAULT_MAX_MB, float),
    )


def _positive_setting(name: str, default, kind):
    text = os.environ.get(name, "").strip()
    if not text.isascii() or not text.replace(".", "", 1).isdigit():
        return default
    value = kind(text)
    return value if 0 < value < 10**9 else default


class QuotaError(StoreError):
    """The store is full: adding a version would pass its quota of versions or of bytes. Nothing was written."""

    def __init__(self, code: str, message: str, **values):
        super().__init__(message, [])
        self.code = code  # versions | bytes
        self.values = values


def check_quota(version_count: int, used: int, new_bytes: int) -> None:
    """QuotaError when one more version of `new_bytes` would pass the quota of a store holding `version_count`
    versions and `used` bytes of rows (both back ends)."""
    limits = quota()
    if version_count + 1 > limits.versions:
        raise QuotaError(
            "versions",
            f"the import store holds {version_count:,} versions, its quota ({MAX_VERSIONS_ENV}={limits.versions:,}); "
            "roll back versions you no longer need, then `python -m analysis prune-imports --keep N` removes "
            "the oldest rolled-back ones",
            count=f"{version_count:,}",
            limit=f"{limits.versions:,}",
        )
    if used + new_bytes > limits.bytes:
        raise QuotaError(
            "bytes",
            f"the import store holds {used / 2**20:.1f} MB of rows and this version adds {new_bytes / 2**20:.1f} MB, "
            f"over its quota ({MAX_MB_ENV}={limits.megabytes:g}); roll back versions you no longer need, then "
            "`python -m analysis prune-imports --keep N` removes the oldest rolled-back ones",
            used=f"{used / 2**20:.1f}",
            added=f"{new_bytes / 2**20:.1f}",
            limit=f"{limits.megabytes:g}",
        )


class ImportStore:
    """Numbered import versions in the user-data store; every change is locked and atomic.

    What is read is checked in full (`manifest_problems`, and `store_problem` for the rows files); a damaged
    store raises StoreError on every read and is never written until `python -m analysis repair-store` has
    repaired it.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = (directory or paths.user_data_dir()) / "imports"
        self.manifest_path = self.directory / "versions.json"

    def _read(self) -> dict:
        if not self.manifest_path.exists():
            return {"format": STORE_FORMAT, "revision": 0, "versions": []}
        where = f"imports/{self.manifest_path.name}"
        try:
            body = loads(self.manifest_path.read_bytes())
        except (OSError, UnsafeJSON) as exc:  # also a file nested 100,000 deep or holding a 5,000-digit number
            raise StoreError(f"cannot read {where}: {redact_paths(exc)}", [redact_paths(exc)]) from None
        problems = manifest_problems(body, self.directory)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(f"{where} is damaged: {problems[0]}{more}", problems)
        return body

    def _write(self, body: dict) -> None:
        body["revision"] = int(body.get("revision", 0)) + 1
        for entry in body["versions"]:  # a manifest from before rows checksums were kept gets them on its next write
            if not entry.get("rows_sha256"):
                entry["rows_sha256"] = file_sha256(self._rows_path(entry["version_id"]))
        atomic_write_bytes(self.manifest_path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))

    def _writable(self) -> dict:
        """The manifest to change, under the lock: refused (StoreError) while the store's check finds damage,
        so a write never builds on a file the pages report as damaged."""
        remove_temp_files(self.directory)
        damaged = store_problem(self.directory.parent)
        if damaged is not None:
            raise damaged
        return self._read()

    def revision(self) -> int:
        """Goes up with every change: a cache key for anything that reads imported figures."""
        return int(self._read().get("revision", 0))

    def versions(self) -> list[Version]:
        return [Version(**v) for v in self._read()["versions"]]

    def apply(self, check: ImportCheck, name: str) -> Version:
        """Store a checked file as the next version; ValueError if it has problems or the name is unusable,
        QuotaError when the store is full.

        The number is one above every version in the manifest, every rows file on disk and every number
        pruned, and the rows file is created, never replaced: a manifest that lost entries cannot make an
        import overwrite data.
        """
        if not check.ok:
            raise ValueError(f"{check.file_name} has {len(check.problems)} problem(s) and cannot be imported")
        name = validate_version_name(name)
        payload = _rows_csv(check.rows)
        with locked(self.manifest_path):
            body = self._writable()
            on_disk = [p.stem for p in self.directory.glob("v*.csv") if VERSION_ID.match(p.stem)]
            numbers = [int(v["version_id"][1:]) for v in body["versions"]] + [int(i[1:]) for i in on_disk]
            number = 1 + max(numbers + [body.get("last_number", 0)], default=0)
            if number > MAX_VERSION_NUMBER:
                raise StoreError(f"the store has numbered {MAX_VERSION_NUMBER:,} versions, the most it can number", [])
            self._check_quota(len(body["versions"]), len(payload))
            version = Version(
                f"v{number:04d}",
                name,
                # the uploader's own name for the file: shown in the versions table, so kept to what reads as written
                without_refused_characters(normalize_text(check.file_name))[:MAX_NAME_CHARS],
                check.sha256,
                len(check.rows),
                _now(),
                "active",
                rows_sha256=hashlib.sha256(payload).hexdigest(),
            )
            atomic_write_bytes(self._rows_path(version.version_id), payload, exclusive=True)
            body["versions"].append(version.__dict__)
            self._write(body)
        return version

    def _check_quota(self, version_count: int, new_bytes: int) -> None:
        check_quota(version_count, self.stored_bytes(), new_bytes)

    def stored_bytes(self) -> int:
        """Bytes of every rows file in the store (listed or not)."""
        return sum(entry.stat().st_size for entry in _rows_entries(self.directory))

    def rollback(self, version_id: str) -> Version:
        return self._set_status(version_id, "rolled_back")

    def restore(self, version_id: str) -> Version:
        return self._set_status(version_id, "active")

    def _set_status(self, version_id: str, status: str) -> Version:
        with locked(self.manifest_path):
            body = self._writable()
            record = next((v for v in body["versions"] if v["version_id"] == version_id), None)
            if record is None:
                raise KeyError(version_id)
            if record["status"] != status:
                record.update(status=status, changed_at=_now())
                self._write(body)
        return Version(**record)

    def prune(self, keep: int) -> list[Version]:
        """Remove rolled-back versions older than the `keep` newest versions; active versions always stay.

        The manifest is written first, then the rows files go: a kill in between leaves rows files that
        the store's check reports and repair-store brings back as rolled-back versions, never a manifest
        that names a missing file. Numbers are not given out again (`last_number`).
        """
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError("keep must be a whole number, 0 or more")
        with locked(self.manifest_path):
            body = self._writable()
            newest = {v["version_id"] for v in sorted(body["versions"], key=lambda v: v["version_id"])[::-1][:keep]}
            pruned = [v for v in body["versions"] if v["status"] != "active" and v["version_id"] not in newest]
            if not pruned:
                return []
            numbers = [int(v["version_id"][1:]) for v in body["versions"]]
            body["last_number"] = max([body.get("last_number", 0), *numbers])
            body["versions"] = [v for v in body["versions"] if v not in pruned]
            self._write(body)
            for entry in pruned:
                self._rows_path(entry["version_id"]).unlink(missing_ok=True)
        return [Version(**v) for v in pruned]

    def _rows_path(self, version_id: str) -> Path:
        if not isinstance(version_id, str) or not VERSION_ID.match(version_id):  # never a path out of the store
            raise KeyError(version_id)
        return self.directory / f"{version_id}.csv"

    def rows(self, version_id: str, expected_sha256: str = "") -> pd.DataFrame:
        """A version's rows, typed as the check typed them. StoreError when the file does not read as the
        rows the check passed: not UTF-8 or CSV, a cell that is no longer valid (`inf`, a period `abcd`), or,
        with `expected_sha256`, any change since it was stored."""
        return pd.DataFrame(self.typed_rows(version_id, expected_sha256), columns=IMPORT_COLUMNS)

    def typed_rows(self, version_id: str, expected_sha256: str = "") -> list[dict]:
        """As `rows`, as one dict per row (building a DataFrame per file costs more than reading it)."""
        path = self._rows_path(version_id)
        try:
            payload = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"imports/{path.name} cannot be read: {redact_paths(exc)}", [redact_paths(exc)]) from None
        return stored_typed_rows(payload, f"imports/{path.name}", expected_sha256)

    def active_rows(self) -> pd.DataFrame:
        """Rows of every active version, oldest first; a later version's figure_id replaces an earlier one's."""
        versions = self.versions()
        return _active_frame(versions, {v.version_id: self.typed_rows(v.version_id, v.rows_sha256) for v in versions if v.active})


def stored_typed_rows(payload: bytes, where: str, expected_sha256: str = "") -> list[dict]:
    """A stored version's rows (`payload`, the CSV as stored), typed as the check typed them; StoreError naming
    `where` (its file, or its database row) when they do not read as the rows the check passed, or, with
    `expected_sha256`, changed since they were stored. Both back ends read their rows through this."""
    name = where.rpartition("/")[2]
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError(f"{where} cannot be read: {exc}", [str(exc)]) from None
    if expected_sha256 and hashlib.sha256(payload).hexdigest() != expected_sha256:
        raise StoreError(f"{where} {EDITED}", [f"{name} {EDITED}"])
    problems: list[Problem] = []
    table = read_csv_text(IMPORT_TABLE, text, problems)
    if table is None:
        raise StoreError(f"{where} is not an import file: {problems[0].reason}", [problems[0].reason])
    type_rows(table, problems)
    _check_stored_rows(table, problems)
    if problems:
        first = problems[0]
        reason = f"line {first.line}, column {first.column}: {first.reason}" if first.line else first.reason
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StoreError(f"{where} holds a value no import would pass: {reason}{more}", [p.reason for p in problems])
    return [_public_row(r) for r in table.typed]


def _active_frame(versions: list[Version], typed: dict[str, list[dict]]) -> pd.DataFrame:
    records = [
        {**row, "version": v.version_id, "version_name": v.name, "imported_at": v.created_at}
        for v in versions
        if v.active
        for row in typed[v.version_id]
    ]
    if not records:
        return empty_rows()
    frame = pd.DataFrame(records, columns=empty_rows().columns)
    return frame.drop_duplicates("figure_id", keep="last").reset_index(drop=True)


EDITED = "has changed since it was imported (its checksum is not the one recorded)"


def _check_stored_rows(table: LoadedTable, problems: list[Problem]) -> None:
    """The checks of an import that need no database: a value or a range, and a period that is one."""
    for row in table.typed:
        line = row["_line"]
        if row["value"] is None and (row["value_low"] is None or row["value_high"] is None):
            problems.append(Problem(table.spec.file_name, line, "value", "needs a value, or both value_low and value_high"))
        if row["period"] and not PERIOD_PATTERN.match(row["period"]):
            problems.append(
                Problem(table.spec.file_name, line, "period", f"not a year, YYYY-MM or YYYY-YYYY range: {row['period']!r}")
            )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=[*IMPORT_COLUMNS, "version", "version_name", "imported_at"])


def _rows_entries(directory: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as entries:
            return [e for e in entries if e.name.endswith(".csv") and VERSION_ID.match(e.name[:-4]) and e.is_file()]
    except FileNotFoundError:
        return []


def _signature(path: Path | os.DirEntry) -> tuple:
    """What changes when a file is replaced or written: size, times (ctime too, which no program can set back)
    and inode. Equal signatures mean the file was not touched since it was last checked."""
    info = path.stat() if isinstance(path, os.DirEntry) else os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


# The last check of each store (keyed by every file's signature) and of each rows file (keyed by its own),
# so a page run costs one directory listing while nothing changed, and a new version costs one file's check.
@dataclass
class _StoreCheck:
    signature: tuple
    problem: StoreError | None
    revision: int
    versions: list[Version]
    typed: dict[str, list[dict]]  # version id -> rows of an active version read by this check; dropped once used
    active: pd.DataFrame | None = None  # built on first use


_STORE_CHECKS: dict[str, _StoreCheck] = {}
# path -> (signature, sha256, problem). Only the verdict is kept: rows stay in memory once, as the active frame.
_FILE_CHECKS: dict[str, tuple[tuple, str, str | None]] = {}
_CHECKS_LOCK = threading.Lock()


def open_import_store(directory: Path | None = None):
    """The import store this server uses: PostgreSQL when `ATLAS_USERDATA_URL` names one (a team deployment,
    analysis/imports_pg.py), otherwise the files under `directory` or `paths.user_data_dir()`. As with saved
    scenarios, a URL that is not PostgreSQL's makes every call a StoreError, never a silent fall back to files."""
    url = _shared_url(directory)
    if not url:
        return ImportStore(directory)
    from analysis.imports_pg import PostgresImportStore

    return PostgresImportStore(url)


def _shared_url(directory: Path | None) -> str:
    """The user-data database's URL when this process uses one for `directory` (never for an explicit folder)."""
    return "" if directory is not None else paths.userdata_url()


def store_problem(directory: Path | None = None) -> StoreError | None:
    """Why the import store cannot be trusted (None when it is sound or empty): for one message per page, and
    the gate every write passes.

    It finds a manifest that does not read or validate, a listed rows file that is missing, edited since it
    was imported (its sha256 is recorded in the manifest) or holding a value no import would pass, and a rows
    file the manifest does not list (an import killed between its two writes). Each file is read again only
    when its size, times or inode changed since its last check, so this costs a directory listing per call.
    In PostgreSQL (`imports_pg.store_problem`) it costs one small query at most once a second.
    """
    url = _shared_url(directory)
    if url:
        from analysis import imports_pg

        return imports_pg.store_problem(url)
    return _checked(directory).problem


def store_problem_key(problem: StoreError) -> str:
    """The message (its translation key) for what `store_problem` found: damaged files (the store stays closed
    until repaired), damaged version rows in the user-data database (left out; the rest still shows), or a
    database that cannot be used."""
    if not paths.userdata_url():
        return "frame.import_store_damaged"
    from analysis.imports_pg import DamagedVersions

    return "frame.import_versions_left_out" if isinstance(problem, DamagedVersions) else "frame.userdata_db_unusable"


def _checked(directory: Path | None) -> _StoreCheck:
    """The store's check, from the last one while no file in it changed."""
    store = ImportStore(directory)
    key = str(store.directory)
    try:
        manifest = _signature(store.manifest_path) if store.manifest_path.exists() else None
        rows_files = {e.name[:-4]: e for e in _rows_entries(store.directory)}
        signature = (manifest, tuple(sorted((name, _signature(e)) for name, e in rows_files.items())))
    except OSError as exc:
        return _StoreCheck((), StoreError(f"imports/ cannot be read: {redact_paths(exc)}", [redact_paths(exc)]), -1, [], {})
    with _CHECKS_LOCK:
        known = _STORE_CHECKS.get(key)
    if known is not None and known.signature == signature:
        return known
    result = _check_store(store, rows_files, signature)
    with _CHECKS_LOCK:
        if len(_STORE_CHECKS) > 64:  # stores of tests or of a moved user-data folder
            _STORE_CHECKS.clear()
        _STORE_CHECKS[key] = result
    return result


def _check_store(store: ImportStore, rows_files: dict[str, os.DirEntry], signature: tuple) -> _StoreCheck:
    try:
        body = store._read()
    except StoreError as exc:
        return _StoreCheck(signature, exc, -1, [], {})
    versions = [Version(**v) for v in body["versions"]]
    problems, typed = [], {}
    for version in versions:
        problem, rows = _rows_check(store, version, rows_files.get(version.version_id))
        if problem:
            problems.append(problem)
        elif version.active and rows is not None:
            typed[version.version_id] = rows
    listed = {v.version_id for v in versions}
    for orphan in sorted(set(rows_files) - listed):
        problems.append(f"imports/{orphan}.csv {ORPHAN}")
    if not problems:
        return _StoreCheck(signature, None, int(body.get("revision", 0)), versions, typed)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _StoreCheck(signature, StoreError(f"{problems[0]}{more}", problems), -1, versions, typed)


ORPHAN = "is not listed in the manifest (an import stopped between its two writes?)"


def _rows_check(store: ImportStore, version: Version, entry: os.DirEntry | None) -> tuple[str | None, list[dict] | None]:
    """(problem, typed rows) of a version's rows file, read again only when the file or its recorded hash changed
    (the rows are None when the verdict came from the last check)."""
    if entry is None:
        return f"imports/{version.version_id}.csv, the rows of {version.version_id}, is missing", None
    signature = _signature(entry)
    with _CHECKS_LOCK:
        known = _FILE_CHECKS.get(entry.path)
    if known is not None and known[:2] == (signature, version.rows_sha256):
        return known[2], None
    try:
        rows, problem = store.typed_rows(version.version_id, version.rows_sha256), None
    except StoreError as exc:
        rows, problem = [], str(exc)
    with _CHECKS_LOCK:
        if len(_FILE_CHECKS) > 4 * MAX_VERSION_NUMBER:  # files of stores no longer used
            _FILE_CHECKS.clear()
        _FILE_CHECKS[entry.path] = (signature, version.rows_sha256, problem)
    return problem, rows


def versions_display(versions: list[Version], lang: str) -> pd.DataFrame:
    """Newest first: id, name, file, rows, when imported, status."""
    return pd.DataFrame(
        {
            t("imports.col_version", lang): [v.version_id for v in versions],
            t("imports.col_name", lang): [v.name for v in versions],
            t("imports.col_file", lang): [v.file_name for v in versions],
            t("imports.col_rows", lang): [v.row_count for v in versions],
            t("imports.col_imported_at", lang): [v.created_at.replace("T", " ")[:16] + " UTC" for v in versions],
            t("imports.col_status", lang): [t(f"imports.status.{v.status}", lang) for v in versions],
        }
    ).iloc[::-1]


def _rows_csv(rows: tuple[dict, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, IMPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row[c] is None else _cell_text(row[c]) for c in IMPORT_COLUMNS})
    return out.getvalue().encode("utf-8")


def _cell_text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- reading imported figures


def revision(directory: Path | None = None) -> int:
    """The store's revision (0 when nothing was ever imported; -1 while `store_problem` finds damage): pass it
    to cached loaders as a key. Read from the store's last check, so it costs a directory listing.

    In PostgreSQL it is the database's revision, shared by every server: one small query at most once a second
    per process (`imports_pg.REVISION_SECONDS`), so an import through one server reaches every other's caches."""
    url = _shared_url(directory)
    if url:
        from analysis import imports_pg

        return imports_pg.revision(url)
    return _checked(directory).revision


def active_imported_figures(con: duckdb.DuckDBPyConnection, revision: int | None = None) -> pd.DataFrame:
    """Active imported figures in the shape of `analysis.data.figures`, plus version columns.

    `revision` is not used; it keys caches (`frame_load(frame, imports.active_imported_figures, revision=…)`).
    Columns added: version, version_name, imported_at; origin is "imported", source_id "import:<version>",
    producer_zh/producer_en/citation are the file's `source` citation.
    """
    return as_figures(con, readable_active_rows())


def readable_active_rows(directory: Path | None = None) -> pd.DataFrame:
    """Active imported rows, or none when the store is damaged: the page says so once (`store_problem`)
    and the report's figures still show. In PostgreSQL only a damaged version is left out."""
    url = _shared_url(directory)
    if url:
        from analysis import imports_pg

        return imports_pg.readable_active_rows(url)
    check = _checked(directory)
    if check.problem is not None:
        return empty_rows()
    if check.active is None:  # once per change of the store: a page run or API call then reads no rows file
        store = ImportStore(directory)
        try:
            typed = {
                v.version_id: check.typed.get(v.version_id) or store.typed_rows(v.version_id, v.rows_sha256)
                for v in check.versions
                if v.active
            }
        except StoreError:  # changed since the check: the next check reports it
            return empty_rows()
        check.active, check.typed = _active_frame(check.versions, typed), {}
    return check.active.copy()


def as_figures(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
    """Import rows (IMPORT_COLUMNS + version, version_name) joined with names and unit formats like data.figures."""
    metrics = query(con, "SELECT metric_id AS metric, name_zh AS metric_zh, name_en AS metric_en FROM metrics")
    entities = query(con, "SELECT entity_id AS entity, name_zh AS entity_zh, name_en AS entity_en FROM entities")
    units = query(con, "SELECT unit_id AS unit, format_zh, format_en, en_scale FROM units")
    frame = (
        rows.merge(metrics, on="metric", how="left").merge(entities, on="entity", how="left").merge(units, on="unit", how="left")
    )
    for column in ("metric", "entity"):  # a metric or entity dropped from datasets/ since the import keeps its id as name
        for lang in ("zh", "en"):
            frame[f"{column}_{lang}"] = frame[f"{column}_{lang}"].fillna(frame[column])
    frame = frame.assign(
        source_id="import:" + frame["version"].astype(str),
        producer_zh=frame["source"],
        producer_en=frame["source"],
        report_section=None,
        origin=IMPORTED_ORIGIN,
        citation=frame["source"],
    )
    return frame.drop(columns=["source"])


def check_rows(check: ImportCheck, name: str = "") -> pd.DataFrame:
    """A checked file's rows in the store's shape, as the version they would become."""
    return pd.DataFrame(list(check.rows), columns=IMPORT_COLUMNS).assign(version="new", version_name=name, imported_at="")


def figures_with_imports(
    con: duckdb.DuckDBPyConnection,
    layer: str = "both",
    *,
    metrics: list[str] | None = None,
    kinds: list[str] | None = None,
    revision: int | None = None,
) -> pd.DataFrame:
    """The report's figures, the imported ones, or both (`layer`), in one frame with a `layer` column.

    For charts: filter by metric, then draw `layer == "imported"` rows as actuals beside the report's.
    `revision` only keys caches.
    """
    from analysis.data import figures

    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}")
    report = figures(con, metrics=metrics, kinds=kinds).assign(layer="report", version=None, version_name=None)
    if layer == "imported":
        report = report.iloc[0:0]
    if layer == "report":
        return report
    imported = active_imported_figures(con)
    if metrics:
        imported = imported[imported["metric"].isin(metrics)]
    if kinds:
        imported = imported[imported["kind"].isin(kinds)]
    if imported.empty:
        return report
    imported = imported.assign(layer="imported")
    return imported.reset_index(drop=True) if report.empty else pd.concat([report, imported], ignore_index=True)
