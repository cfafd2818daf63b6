"""The SQL console: one read-only query at a time over the figure database, in a sandbox, with a time limit.

The sandbox. Each query opens its own connection with
`duckdb.connect(copy, read_only=True, config={"enable_external_access": False, "lock_configuration": True, ...})`:
no files, no network, no ATTACH of anything else, no COPY … TO, INSTALL or LOAD, and no SET, RESET or PRAGMA
can lift any of it. `copy` is a private copy of the database file, made once per build (`sandbox_copy`),
because DuckDB refuses, in one process, a second connection to a file that is already open with another
configuration ("Can't open a connection to same database file with a different configuration than existing
connections"), and the app keeps its shared read-only connection to the real file open. The copy also
means the console could not change the app's data even if DuckDB had a hole: it never touches that file.
(Attaching the real file READ_ONLY into an in-memory sandbox was tried and rejected: once external access
is off DuckDB still allows re-attaching that path, and a re-attach without READ_ONLY would be writable.)

On top of that: only query statements (SELECT, WITH, DESCRIBE/SHOW/SUMMARIZE, EXPLAIN, PRAGMA, CALL),
one at a time. Each query runs in a child process (forked from a small forkserver, not from the app
server) whose address space is capped at CHILD_MEMORY_MB (RLIMIT_AS), with DuckDB's own memory_limit and
one thread inside it; the child is killed after `timeout_s`, so a query that runs away, or one enormous
scalar call such as repeat('x', 4000000000), costs at most that memory for at most that time and gives
it all back when the child ends. At most `max_rows` rows and `max_bytes` bytes (Arrow) come back, and
the caller learns whether there were more; all sessions' results together hold at most
RESULT_BUDGET_BYTES (`ResultBudget`), each counted until it is dropped. Errors come back as
`SqlError(code, detail)`: code for a translated message, detail DuckDB's own words with server paths cut
to file names.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from analysis import paths
from analysis.db import query
from analysis.schema import TABLES
from analysis.sql_sandbox import (
    CHILD_MEMORY_MB,  # noqa: F401 - part of the console's API (the page shows it)
    MAX_RESULT_BYTES,
    SANDBOX_CONFIG,
    SqlError,
)
from analysis.sql_sandbox import worker as query_process
from analysis.textsafe import csv_safe_frame, redact_paths

TIMEOUT_SECONDS = 5.0
DISPLAY_ROWS = 1_000  # shown on the page
MAX_ROWS = 1_000_000  # fetched and downloadable; a result beyond this is cut and says so
MAX_RESULT_MB = MAX_RESULT_BYTES // 2**20
MAX_TIMEOUT_SECONDS = 600.0
START_SECONDS = 120.0  # for the forkserver's first start on a busy machine; not part of the query's time
SANDBOX_FOLDER = "sql-sandbox"  # beside the database file (build/), so `make clean` removes it too
# Query results held by the server at once, all sessions together: four full-size results. A query that
# finds less free gets what is left (its result is cut and says why); below MIN_RESULT_BYTES it is refused.
RESULT_BUDGET_BYTES = 4 * MAX_RESULT_BYTES
RESULT_BUDGET_MB = RESULT_BUDGET_BYTES // 2**20
MIN_RESULT_BYTES = 2**20
CSV_CHUNK_CELLS = 200_000  # the CSV is written this many cells at a time, so pandas holds few objects at once

# Starting points shown on the page (titles: sql.example.<key>).
EXAMPLES = {
    "largest": (
        "SELECT f.figure_id, m.name_en AS metric, f.period, f.value, f.unit, f.kind, f.source_id\n"
        "FROM figures f JOIN metrics m ON m.metric_id = f.metric\n"
        "WHERE f.unit = 'USD_100m'\nORDER BY f.value DESC"
    ),
    "by_kind": "SELECT kind, count(*) AS figures\nFROM figures\nGROUP BY kind\nORDER BY figures DESC",
    "forecasts": (
        "SELECT figure_id, metric, entity, segment, period, value, unit\n"
        "FROM figures\nWHERE kind = 'forecast' AND period IS NOT NULL\nORDER BY metric, period"
    ),
    "by_source": (
        "SELECT s.producer_en, s.origin, count(*) AS figures\n"
        "FROM figures f JOIN sources s USING (source_id)\nGROUP BY ALL\nORDER BY figures DESC"
    ),
    "columns": "DESCRIBE figures",
}


@dataclass(frozen=True, eq=False)
class SqlResult:
    """A query's result as the query process sent it: Arrow data, read in place from the bytes received.

    Kept as Arrow, not as a pandas frame: pandas makes a Python object of every nested value, and a 40 MB
    result of 10 million empty lists became about 1.1 GB of them per session (RSS measured, 7 Dec 2026).
    The page converts only what it shows (`display_frame`) and the CSV a slice at a time (`result_csv`).
    """

    table: pa.Table  # at most max_rows rows and the byte limit below
    truncated: bool  # the query had more rows than max_rows, or more bytes than limit_bytes
    seconds: float
    limit_bytes: int = MAX_RESULT_BYTES  # the byte limit this query ran with (less when the console is busy)

    @property
    def row_count(self) -> int:
        return self.table.num_rows

    @property
    def nbytes(self) -> int:
        return self.table.nbytes

    @property
    def frame(self) -> pd.DataFrame:
        """The whole result as pandas, for small results and tests; the page and the CLI convert a slice at a
        time (`display_frame`, `csv_chunks`)."""
        return self.table.to_pandas()


class ResultBudget:
    """Bytes of query results the server holds at once, across all sessions together.

    A query reserves its byte limit before it starts (at most what is free; refused when less than
    MIN_RESULT_BYTES is free); once the result has arrived the reservation shrinks to its size, and it is
    given back when the result is dropped: replaced by the session's next query, or gone with the session.
    """

    def __init__(self, total_bytes: int):
        self.total_bytes = total_bytes
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return self._used

    def reserve(self, wanted: int) -> int:
        """Reserve up to `wanted` bytes; returns what was reserved, or raises SqlError('server_memory')."""
        with self._lock:
            granted = min(wanted, self.total_bytes - self._used)
            if granted < min(wanted, MIN_RESULT_BYTES):
                raise SqlError("server_memory", f"{self._used / 2**20:.0f} of {self.total_bytes / 2**20:.0f} MB in use")
            self._used += granted
            return granted

    def release(self, size: int) -> None:
        with self._lock:
            self._used = max(0, self._used - size)


RESULT_BUDGET = ResultBudget(RESULT_BUDGET_BYTES)


def sandbox_copy(db_path: Path) -> Path:
    """The console's private copy of the database file, made on first use after each build.

    Kept in a folder named after the file's inode, size and modification time, which a rebuild
    (write + rename) changes; copies of earlier builds are removed. The copy keeps the file's name, so
    queries see the catalog `atlas` as in the app. Key and copy come from one open file, so a rebuild
    that renames a new file in meanwhile cannot mix two builds.
    """
    root = db_path.parent / SANDBOX_FOLDER
    with open(db_path, "rb") as source:
        info = os.fstat(source.fileno())
        folder = root / f"{info.st_ino}-{info.st_size}-{info.st_mtime_ns}"
        target = folder / db_path.name
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".copy.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(source, handle)
            os.replace(tmp_name, target)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
    for old in root.iterdir():
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)  # an open connection keeps reading its file until it closes
    return target


def open_sandbox(db_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A private, read-only, locked-down connection to (a copy of) the figure database; see the module notes."""
    path = Path(db_path or paths.database_path())
    if not path.exists():
        raise SqlError("no_database", path.name)
    try:
        return duckdb.connect(str(sandbox_copy(path)), read_only=True, config=SANDBOX_CONFIG)
    except (duckdb.Error, OSError) as exc:  # a damaged file: say so, never a traceback
        raise SqlError("database", redact_paths(exc)) from None


def run_sql(
    sql: str,
    *,
    db_path: Path | None = None,
    timeout_s: float = TIMEOUT_SECONDS,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_RESULT_BYTES,
    budget: ResultBudget | None = None,
) -> SqlResult:
    """Run one query in a child process with bounded memory; return at most `max_rows` rows and
    `max_bytes` of data (less when the server-wide `budget` has less free), or raise SqlError. The child
    is killed after `timeout_s`, so its memory is returned to the system whatever the query did."""
    if not (isinstance(timeout_s, int | float) and math.isfinite(timeout_s) and 0 < timeout_s <= MAX_TIMEOUT_SECONDS):
        raise SqlError("bad_timeout", f"{timeout_s}")
    budget = RESULT_BUDGET if budget is None else budget
    reserved = budget.reserve(max_bytes)
    try:
        result = _run_in_child(sql, db_path, timeout_s, max_rows, reserved)
    except BaseException:
        budget.release(reserved)
        raise
    held = result.nbytes
    budget.release(reserved - held)  # keep what the result holds, until it is dropped
    weakref.finalize(result, budget.release, held)
    return result


def _run_in_child(sql: str, db_path: Path | None, timeout_s: float, max_rows: int, max_bytes: int) -> SqlResult:
    started = time.monotonic()
    path = Path(db_path or paths.database_path())
    if not path.exists():
        raise SqlError("no_database", path.name)
    try:
        copy = sandbox_copy(path)
    except OSError as exc:
        raise SqlError("database", redact_paths(exc)) from None
    receiver, sender = _context().Pipe(duplex=False)
    worker = _context().Process(target=query_process, args=(sender, sql, str(copy), max_rows, max_bytes), daemon=True)
    with _main_module_hidden():
        worker.start()
    sender.close()
    try:
        # The clock starts when the child does: the first query of a server also waits for the forkserver.
        if not receiver.poll(START_SECONDS) or receiver.recv() != ("started",):
            raise SqlError("busy", f"the query process did not start within {START_SECONDS:g} s")
        if not receiver.poll(timeout_s):
            raise SqlError("timeout", f"{timeout_s:g} s")
        kind, *payload = receiver.recv()
        data = receiver.recv_bytes() if kind == "ok" else b""
    except (EOFError, OSError):  # the child died without answering: killed for memory, or crashed
        worker.join(1)
        raise SqlError("memory", f"the query process ended (exit status {worker.exitcode})") from None
    finally:
        receiver.close()
        if worker.is_alive():
            worker.kill()
        worker.join(5)
    if kind == "error":
        code, detail = payload
        raise SqlError(code, redact_paths(detail))
    (truncated,) = payload
    table = pa.ipc.open_stream(data).read_all()  # reads the received bytes in place
    table = table.rename_columns(_unique_names(table.column_names))
    return SqlResult(table, truncated, time.monotonic() - started, max_bytes)


_CONTEXT = None
_START_LOCK = threading.Lock()


@contextmanager
def _main_module_hidden():
    """multiprocessing makes every child re-run the parent's main script (here the Streamlit launcher, or
    whatever a test runner put there) unless the main module names neither a spec nor a file; the
    worker needs nothing from it, so both are hidden for the moment the child is described."""
    main = sys.modules.get("__main__")
    with _START_LOCK:
        if main is None:
            yield
            return
        saved_spec = getattr(main, "__spec__", None)
        saved_file = main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__spec__ = saved_spec
            if saved_file is not None:
                main.__file__ = saved_file


def _context():
    """A forkserver: children fork from a small clean process with only `analysis.sql_sandbox` loaded, not
    from the (threaded) app server, and start in a few milliseconds. It starts with the server's first query
    (about 0.3 s, once) rather than when the page opens: its 70 MB are held only once someone queries."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["analysis.sql_sandbox"])
    return _CONTEXT


def _unique_names(columns: list[str]) -> list[str]:
    """`SELECT 1 AS a, 2 AS a` is valid SQL; a table needs distinct headers, so the second becomes 'a (2)'."""
    seen: dict[str, int] = {}
    names = []
    for name in map(str, columns):
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _is_nested(kind: pa.DataType) -> bool:
    """Values a table cell cannot show as they are: lists, structs, maps, unions, intervals and blobs."""
    return (
        pa.types.is_nested(kind)
        or pa.types.is_interval(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _as_text(table: pa.Table) -> pd.DataFrame:
    """`table` as pandas, with nested values (lists, structs, intervals, blobs) as text, one column at a time:
    never a Python object per nested value for more than one column of the slice."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if _is_nested(column.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns[name] = column
    return pa.table(columns).to_pandas() if columns else pd.DataFrame(index=range(table.num_rows))


def display_frame(result: SqlResult, rows: int = DISPLAY_ROWS) -> pd.DataFrame:
    """The first `rows` rows, with nested values (lists, structs, intervals, blobs) as text so any table can show them."""
    return _as_text(result.table.slice(0, rows))


def table_overview(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the console can query: each table, its columns and what it holds (from analysis.schema)."""
    columns = query(
        con,
        "SELECT table_name, string_agg(column_name, ', ' ORDER BY ordinal_position) AS columns "
        "FROM information_schema.columns WHERE table_schema = 'main' GROUP BY table_name ORDER BY table_name",
    )
    descriptions = {spec.name: spec.description for spec in TABLES}
    return columns.assign(description=columns["table_name"].map(descriptions).fillna(""))


def csv_download(result: SqlResult) -> Callable[[], bytes]:
    """The CSV of `result`, made when asked for, by a callable that does not keep the result alive: a
    download button's callable outlives the run that drew it, and must not hold a replaced result's bytes."""
    held = weakref.ref(result)

    def make() -> bytes:
        alive = held()
        return b"" if alive is None else result_csv(alive)

    return make


def result_csv(result: SqlResult) -> bytes:
    """The whole result as CSV (utf-8-sig, so Excel opens Chinese text correctly), formulas guarded."""
    return "".join(csv_chunks(result)).encode("utf-8-sig")


def csv_chunks(result: SqlResult, *, guard_formulas: bool = True) -> Iterator[str]:
    """The result's CSV text, CSV_CHUNK_CELLS cells at a time (header first), nested values as text: pandas
    never holds more than one slice's objects."""
    step = max(1, CSV_CHUNK_CELLS // max(1, result.table.num_columns))
    start = 0
    while True:
        chunk = _as_text(result.table.slice(start, step))
        yield (csv_safe_frame(chunk) if guard_formulas else chunk).to_csv(index=False, header=start == 0)
        start += step
        if start >= result.row_count:
            return
