"""Read access to the figure database: one read-only connection per process, a cursor per query."""

from __future__ import annotations

import contextvars
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analysis import paths
from analysis.build import BuildError, build
from analysis.buildstamp import datasets_hash, verified_build

_build_lock = threading.Lock()


@dataclass(frozen=True)
class DatabaseStatus:
    """What `ensure_database` found and did; `problem` is set when datasets/ failed to build."""

    path: Path
    datasets_hash: str
    rebuilt: bool
    problem: BuildError | None = None
    build_id: str = ""  # the file's sha256 (start): a rebuild of the same datasets is a new build

    @property
    def stale(self) -> bool:
        return self.problem is not None

    @property
    def cache_key(self) -> str:
        """Key for connections and cached results: changes with the data and with every rebuilt file."""
        return f"{self.datasets_hash}:{self.build_id}" if self.build_id else self.datasets_hash


def stored_hash(db_path: Path) -> str | None:
    """The datasets hash of a whole build at `db_path` (None when missing, damaged or unstamped)."""
    verified = verified_build(db_path)
    return verified[0] if verified else None


# The database file's content is hashed against its stamp at a process's first check, at most this often
# after that, and whenever DuckDB reports it corrupt; other checks compare size and mtime (a few stat calls).
VERIFY_INTERVAL_S = 300
_last_full_check: dict[str, float] = {}
_damage_reports = 0  # goes up each time a query meets a corrupt file: a cache key for the status
_damage_lock = threading.Lock()


class DatabaseDamaged(RuntimeError):
    """DuckDB found the database file corrupt. The next `ensure_database` hashes the file and rebuilds it."""


CORRUPTION_MARKERS = ("corrupt database file", "not a valid duckdb database file", "checksum", "could not read enough bytes")


def is_corruption(exc: BaseException) -> bool:
    """Whether a DuckDB error says the file itself is damaged (not that a query is wrong)."""
    if isinstance(exc, duckdb.InternalException):
        return True
    return isinstance(exc, duckdb.Error) and any(marker in str(exc).lower() for marker in CORRUPTION_MARKERS)


def report_damage() -> None:
    """Make the next `ensure_database` of every database verify its content, whatever the schedule."""
    global _damage_reports
    with _damage_lock:  # not the build lock: a build in progress may be what met the damage
        _last_full_check.clear()
        _damage_reports += 1


def damage_reports() -> int:
    return _damage_reports


def _full_check_due(db_path: Path) -> bool:
    last = _last_full_check.get(str(db_path))
    return last is None or time.monotonic() - last >= VERIFY_INTERVAL_S


def ensure_database(datasets_dir: Path | None = None, db_path: Path | None = None) -> DatabaseStatus:
    """Build the database when it is missing, older than datasets/ (by content hash) or damaged.

    Damage is found from the build's stamp: size and mtime on every call, the file's sha256 at the first
    call of a process, every VERIFY_INTERVAL_S after that and after a query met a corrupt file. A rebuild
    replaces the file atomically. A failed build keeps the previous database; the status carries the problem
    so the app can say so.
    """
    datasets_dir = Path(datasets_dir or paths.datasets_dir())
    db_path = Path(db_path or paths.database_path())
    with _build_lock:
        current = datasets_hash(datasets_dir)
        full = _full_check_due(db_path)
        verified = verified_build(db_path, full=full)
        if full:
            _last_full_check[str(db_path)] = time.monotonic()
        if verified and verified[0] == current:
            return DatabaseStatus(db_path, current, rebuilt=False, build_id=verified[1])
        try:
            result = build(datasets_dir, db_path)
        except BuildError as exc:
            if verified is None:  # missing or damaged: there is no good build to fall back on
                raise
            return DatabaseStatus(db_path, verified[0], rebuilt=False, problem=exc, build_id=verified[1])
        rebuilt = verified_build(db_path)
        return DatabaseStatus(db_path, result.datasets_hash, rebuilt=True, build_id=rebuilt[1] if rebuilt else "")


def connect_readonly(db_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the figure database read-only; share it, but query through `query` (a cursor each).

    DatabaseDamaged when DuckDB finds the file corrupt (reported, so the next check rebuilds it)."""
    try:
        return duckdb.connect(str(db_path or paths.database_path()), read_only=True)
    except duckdb.Error as exc:
        if is_corruption(exc):
            report_damage()
            raise DatabaseDamaged("the figure database file is damaged; it is rebuilt at the next check") from None
        raise


_shared: dict[str, tuple[str, duckdb.DuckDBPyConnection]] = {}
_shared_lock = threading.Lock()


def shared_connection(db_path: Path, datasets_hash: str) -> duckdb.DuckDBPyConnection:
    """The process's one read-only connection for this build of the database.

    DuckDB caches open databases by path, so after a rebuild replaced the file a new connect would
    still see the old one; closing the previous build's connection first makes the new data visible.
    """
    key = str(Path(db_path).resolve())
    with _shared_lock:
        current = _shared.get(key)
        if current and current[0] == datasets_hash:
            return current[1]
        if current:
            current[1].close()
        con = connect_readonly(Path(key))
        _shared[key] = (datasets_hash, con)
        return con


_QUERY_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("query_memo", default=None)


@contextmanager
def query_memo():
    """Within the block (this thread or task), a query already run on the same connection with the same
    parameters is answered from its first result, as a copy. For work that reads the same tables many times
    over, such as the briefing pack (219 queries, 48 distinct); the database is read-only meanwhile."""
    token = _QUERY_MEMO.set({})
    try:
        yield
    finally:
        _QUERY_MEMO.reset(token)


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
    """Run one parameterised query on its own cursor, so sessions can read concurrently."""
    memo = _QUERY_MEMO.get()
    key = None if memo is None else (id(con), sql, repr(params or ()))
    if key is not None and key in memo:
        return memo[key].copy()
    cursor = con.cursor()
    try:
        result = cursor.execute(sql, params or []).df()
    except duckdb.Error as exc:
        if is_corruption(exc):
            report_damage()
            raise DatabaseDamaged("the figure database file is damaged; it is rebuilt at the next check") from None
        raise
    finally:
        cursor.close()
    if key is not None:
        memo[key] = result.copy()  # the caller may change its own frame
    return result
