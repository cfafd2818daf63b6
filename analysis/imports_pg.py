"""Imported figures in PostgreSQL, for a team deployment (`ATLAS_USERDATA_URL=postgresql://…`).

The same interface, checks, quota and numbering as the file store (`imports.ImportStore`): `apply`, `rollback`,
`restore`, `prune`, `versions`, `rows`, `active_rows`, `stored_bytes`, `revision`. A version is one row of
`import_versions` holding its rows as the CSV bytes the file store would write, with their sha256; the one row
of `import_state` holds the store's revision and the highest number ever given out. Every write is one
transaction that first locks that row, so concurrent writers on any number of servers are serialised and none
is lost, and a killed process leaves the transaction undone.

**The shared revision.** Every server's charts and tables are keyed by the store's revision (`revision()`),
read from the database with one cheap query at most once per `REVISION_SECONDS` per process (and at once after
this process's own write): an import or a rollback made through one server shows on every other within about
a second. The query also reads each version row's `xmin`, so a row changed by another tool is checked again.

**Damage.** A version whose stored rows no longer read as the rows the check passed (edited by hand, written by
another tool) is reported by `store_problem` and left out of the figures; the other versions keep showing, and
the store stays writable (one damaged row does not stop a team). `python -m analysis repair-store` moves such
rows out of the database into a backup folder (`repair`), which clears the report.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.imports import (
    IMPORT_COLUMNS,
    MAX_NAME_CHARS,
    MAX_VERSION_NUMBER,
    STATUSES,
    VERSION_ID,
    ImportCheck,
    Version,
    _active_frame,
    _is_timestamp,
    _now,
    _rows_csv,
    check_quota,
    empty_rows,
    stored_typed_rows,
    validate_version_name,
)
from analysis.textsafe import normalize_text, without_refused_characters
from analysis.userstore import StoreError, atomic_write_bytes
from analysis.userstore_pg import connected

REVISION_SECONDS = 1.0  # how stale one server's view of another's imports may be, at most
_FIELDS = "version_id, name, file_name, sha256, row_count, created_at, status, changed_at, rows_sha256"
_SIGNATURE_SQL = (
    "SELECT s.revision, coalesce((SELECT string_agg(v.version_id || ':' || v.xmin::text, ',' ORDER BY v.version_id)"
    " FROM import_versions v), '') FROM import_state s"
)


class PostgresImportStore:
    """Numbered import versions in PostgreSQL; see the module notes."""

    def __init__(self, url: str):
        self.url = url  # nothing is opened here: an unusable database is a StoreError at the first use

    # ------------------------------------------------------------ reading

    def revision(self) -> int:
        with connected(self.url) as conn:
            return int(conn.execute("SELECT revision FROM import_state").fetchone()[0])

    def versions(self) -> list[Version]:
        with connected(self.url) as conn:
            rows = conn.execute(f"SELECT {_FIELDS} FROM import_versions ORDER BY version_id").fetchall()
        return [Version(*row) for row in rows]

    def stored_bytes(self) -> int:
        with connected(self.url) as conn:
            return int(conn.execute("SELECT coalesce(sum(octet_length(rows_csv)), 0) FROM import_versions").fetchone()[0])

    def typed_rows(self, version_id: str, expected_sha256: str = "") -> list[dict]:
        """A version's rows, typed as the check typed them; KeyError when there is no such version, StoreError
        when they do not read as the rows the check passed (or, with `expected_sha256`, changed since)."""
        with connected(self.url) as conn:
            found = conn.execute("SELECT rows_csv FROM import_versions WHERE version_id = %s", (version_id,)).fetchone()
        if found is None:
            raise KeyError(version_id)
        return stored_typed_rows(bytes(found[0]), f"import version {version_id}", expected_sha256)

    def rows(self, version_id: str, expected_sha256: str = "") -> pd.DataFrame:
        return pd.DataFrame(self.typed_rows(version_id, expected_sha256), columns=IMPORT_COLUMNS)

    def active_rows(self) -> pd.DataFrame:
        """Rows of every active version, oldest first; a later version's figure_id replaces an earlier one's.
        StoreError when an active version is damaged (`readable_active_rows` leaves it out instead)."""
        versions = self.versions()
        return _active_frame(versions, {v.version_id: self.typed_rows(v.version_id, v.rows_sha256) for v in versions if v.active})

    # ------------------------------------------------------------ writing

    def apply(self, check: ImportCheck, name: str) -> Version:
        """Store a checked file as the next version, in one transaction; as `ImportStore.apply`."""
        if not check.ok:
            raise ValueError(f"{check.file_name} has {len(check.problems)} problem(s) and cannot be imported")
        name = validate_version_name(name)
        payload = _rows_csv(check.rows)
        with connected(self.url) as conn:
            last_number = _lock(conn)[1]
            count, used, top = conn.execute(
                "SELECT count(*), coalesce(sum(octet_length(rows_csv)), 0),"
                " coalesce(max(substr(version_id, 2)::integer), 0) FROM import_versions"
            ).fetchone()
            number = 1 + max(int(top), int(last_number))
            if number > MAX_VERSION_NUMBER:
                raise StoreError(f"the store has numbered {MAX_VERSION_NUMBER:,} versions, the most it can number", [])
            check_quota(int(count), int(used), len(payload))
            version = Version(
                f"v{number:04d}",
                name,
                without_refused_characters(normalize_text(check.file_name))[:MAX_NAME_CHARS],
                check.sha256,
                len(check.rows),
                _now(),
                "active",
                rows_sha256=hashlib.sha256(payload).hexdigest(),
            )
            conn.execute(
                f"INSERT INTO import_versions ({_FIELDS}, rows_csv) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (*_values(version), payload),
            )
            _bump(conn, number)
        _forget(self.url)
        return version

    def rollback(self, version_id: str) -> Version:
        return self._set_status(version_id, "rolled_back")

    def restore(self, version_id: str) -> Version:
        return self._set_status(version_id, "active")

    def _set_status(self, version_id: str, status: str) -> Version:
        with connected(self.url) as conn:
            _lock(conn)
            found = conn.execute(f"SELECT {_FIELDS} FROM import_versions WHERE version_id = %s", (version_id,)).fetchone()
            if found is None:
                raise KeyError(version_id)
            version = Version(*found)
            if version.status != status:
                changed = _now()
                conn.execute(
                    "UPDATE import_versions SET status = %s, changed_at = %s WHERE version_id = %s",
                    (status, changed, version_id),
                )
                _bump(conn)
                version = Version(*found[:6], status, changed, found[8])
        _forget(self.url)
        return version

    def prune(self, keep: int) -> list[Version]:
        """Remove rolled-back versions older than the `keep` newest; as `ImportStore.prune`, in one transaction."""
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError("keep must be a whole number, 0 or more")
        with connected(self.url) as conn:
            _lock(conn)
            versions = [Version(*r) for r in conn.execute(f"SELECT {_FIELDS} FROM import_versions ORDER BY version_id")]
            newest = {v.version_id for v in versions[::-1][:keep]}
            pruned = [v for v in versions if v.status != "active" and v.version_id not in newest]
            if not pruned:
                return []
            conn.execute("DELETE FROM import_versions WHERE version_id = ANY(%s)", ([v.version_id for v in pruned],))
            _bump(conn, max(int(v.version_id[1:]) for v in versions))
        _forget(self.url)
        return pruned


def add_versions(conn, versions: list[tuple[Version, bytes]], last_number: int = 0) -> None:
    """Insert versions as they are (ids, times, status and rows kept) in the caller's transaction, which has locked
    the state row; `last_number` carries the highest number the files gave out, so it is not given out again.
    For `python -m analysis migrate-userdata`, which calls it only when there is something to add."""
    for version, payload in versions:
        conn.execute(
            f"INSERT INTO import_versions ({_FIELDS}, rows_csv) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (*_values(version), payload),
        )
    _bump(conn, max([last_number, *(int(v.version_id[1:]) for v, _ in versions)]))


def _values(version: Version) -> tuple:
    return (
        version.version_id,
        version.name,
        version.file_name,
        version.sha256,
        version.row_count,
        version.created_at,
        version.status,
        version.changed_at,
        version.rows_sha256,
    )


def _lock(conn) -> tuple[int, int]:
    """Lock the store's state row until the transaction ends: every writer takes it first, so writes are serialised."""
    revision, last_number = conn.execute("SELECT revision, last_number FROM import_state FOR UPDATE").fetchone()
    return int(revision), int(last_number)


def _bump(conn, number: int = 0) -> None:
    conn.execute(
        "UPDATE import_state SET revision = revision + 1, last_number = greatest(last_number, %s)",
        (number,),
    )


# ---------------------------------------------------------------- the shared revision and the store's check


class DamagedVersions(StoreError):
    """Version rows that fail the checks: left out of the figures, the rest of the store in use."""


@dataclass
class _Check:
    signature: tuple
    problem: StoreError | None
    revision: int
    active: pd.DataFrame


_signatures: dict[str, tuple[float, tuple | StoreError]] = {}  # url -> (when read, (revision, xmins) or the error)
_checks: dict[str, _Check] = {}
# (url, version id, xmin) -> the problems of a version row as last checked: a rolled-back row that has not changed
# since is not read again
_verdicts: dict[tuple[str, str, str], list[str]] = {}
_lock_checks = threading.Lock()
_clock = time.monotonic  # tests move it on, rather than wait


def _forget(url: str) -> None:
    """After this process's own write: the next read asks the database at once."""
    with _lock_checks:
        _signatures.pop(url, None)


def _signature(url: str) -> tuple:
    """(revision, each version row's xmin), read at most once per REVISION_SECONDS. A database that cannot be used
    is remembered as long, so a page that asks several times waits for the pool's timeout once, not each time."""
    now = _clock()
    with _lock_checks:
        known = _signatures.get(url)
    if known is not None and 0 <= now - known[0] < REVISION_SECONDS:
        if isinstance(known[1], StoreError):
            raise known[1]
        return known[1]
    try:
        with connected(url) as conn:
            revision, xmins = conn.execute(_SIGNATURE_SQL).fetchone()
    except StoreError as exc:
        with _lock_checks:
            _signatures[url] = (now, exc)
        raise
    signature = (int(revision), xmins)
    with _lock_checks:
        _signatures[url] = (now, signature)
    return signature


def checked(url: str) -> _Check:
    """The store's check, made again only when its signature (revision, each row's xmin) changed."""
    try:
        signature = _signature(url)
    except StoreError as exc:
        return _Check((), exc, -1, empty_rows())
    with _lock_checks:
        known = _checks.get(url)
    if known is not None and known.signature == signature:
        return known
    try:
        result = _check(url, signature)
    except StoreError as exc:
        return _Check((), exc, -1, empty_rows())
    with _lock_checks:
        if len(_checks) > 16:  # databases of tests
            _checks.clear()
        _checks[url] = result
    return result


def _check(url: str, signature: tuple) -> _Check:
    """Check every version row. Rows are read (and their CSV parsed) only for active versions, which the figures
    need, and for rows not checked since they last changed (by xmin), as the file store reads a file again only
    when it changed; one snapshot (REPEATABLE READ) for both queries."""
    with connected(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = conn.execute(f"SELECT {_FIELDS}, xmin::text FROM import_versions ORDER BY version_id").fetchall()
        with _lock_checks:
            known = {r[0]: _verdicts.get((url, r[0], r[9])) for r in rows}  # version id -> problems, None: not checked
        wanted = [r[0] for r in rows if r[6] == "active" or known[r[0]] is None]
        payloads = dict(
            conn.execute("SELECT version_id, rows_csv FROM import_versions WHERE version_id = ANY(%s)", (wanted,)).fetchall()
        )
    problems, versions, typed = [], [], {}
    for row in rows:
        version, xmin = Version(*row[:9]), row[9]
        if version.version_id in payloads:
            found, rows_typed = _row_check(version, bytes(payloads[version.version_id]))
            with _lock_checks:
                if len(_verdicts) > 4 * MAX_VERSION_NUMBER:  # rows of databases no longer used
                    _verdicts.clear()
                _verdicts[(url, version.version_id, xmin)] = found
        else:
            found, rows_typed = known[version.version_id], []
        if found:
            problems += found
        else:
            versions.append(version)
            if version.active:
                typed[version.version_id] = rows_typed
    problem = None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        problem = DamagedVersions(f"{problems[0]}{more}", problems)
    return _Check(signature, problem, signature[0], _active_frame(versions, typed))


def _row_check(version: Version, payload: bytes) -> tuple[list[str], list[dict]]:
    """(problems, typed rows) of one version row: its fields, then its rows as the check passed them."""
    found = version_problems(version)
    if found:
        return found, []
    try:
        return [], stored_typed_rows(payload, f"import version {version.version_id}", version.rows_sha256)
    except StoreError as exc:
        return [str(exc)], []


def repair(url: str, backup: Path) -> list[str]:
    """Move every damaged version row out of the database (`python -m analysis repair-store`): its fields
    (`<id>.json`) and its rows as stored (`<id>.csv`) are written to `backup` first, then the rows are deleted
    in the same transaction, so a failed write removes nothing. Their numbers are not given out again. Returns
    what was done, one line each (empty when every row is sound)."""
    actions = []
    with connected(url) as conn:
        _lock(conn)
        rows = conn.execute(f"SELECT {_FIELDS}, rows_csv FROM import_versions ORDER BY version_id").fetchall()
        damaged = []
        for row in rows:
            version, payload = Version(*row[:9]), bytes(row[9])
            found = _row_check(version, payload)[0]
            if found:
                damaged.append(version)
                stem = version.version_id if VERSION_ID.match(version.version_id) else f"row-{len(damaged)}"
                atomic_write_bytes(backup / f"{stem}.csv", payload)
                atomic_write_bytes(backup / f"{stem}.json", json.dumps(version.__dict__, ensure_ascii=False).encode("utf-8"))
                actions.append(f"moved the damaged import version {version.version_id[:40]!r} out of the database: {found[0]}")
        if damaged:
            conn.execute("DELETE FROM import_versions WHERE version_id = ANY(%s)", ([v.version_id for v in damaged],))
            numbers = [int(v.version_id[1:]) for v in damaged if VERSION_ID.match(v.version_id)]
            _bump(conn, max(numbers, default=0))
    _forget(url)
    return actions


def version_problems(version: Version) -> list[str]:
    """What is wrong with a version row's own fields (the schema's constraints hold the rest)."""
    where = f"import version {version.version_id}"
    if not VERSION_ID.match(version.version_id):
        return [f"{where}: the id is not v followed by four digits"]
    if version.status not in STATUSES:
        return [f"{where}: status {version.status[:40]!r} is not one of {', '.join(STATUSES)}"]
    if not _is_timestamp(version.created_at):
        return [f"{where}: created_at {version.created_at[:40]!r} is not a date and time"]
    try:
        valid = validate_version_name(version.name) == version.name
    except ValueError:
        valid = False
    if not valid:
        return [f"{where}: the name {version.name[:40]!r} cannot be a version name"]
    return []


def store_problem(url: str) -> StoreError | None:
    return checked(url).problem


def revision(url: str) -> int:
    """The shared revision (-1 while the database cannot be used): at most one query per REVISION_SECONDS."""
    try:
        return _signature(url)[0]
    except StoreError:
        return -1


def readable_active_rows(url: str) -> pd.DataFrame:
    """Active rows of every sound version (a damaged one is left out and reported by `store_problem`)."""
    return checked(url).active.copy()
