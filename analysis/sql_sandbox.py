"""The SQL console's child side: what runs in the query process, and nothing else.

Kept apart from `analysis.sqlconsole` so the forkserver that forks every query process preloads only DuckDB
and Arrow (about 70 MB), not pandas and the rest of the app (about 115 MB); the forkserver lives as long as
the server does. `analysis.sqlconsole` holds the parent side and re-exports these names.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

BATCH_ROWS = 8_192  # small batches, so the byte cap is checked often
MAX_RESULT_BYTES = 64 * 2**20  # fetched at most (Arrow bytes); a wider result is cut and says so
CHILD_MEMORY_MB = 1_536  # address space a query may add to its process: DuckDB, Arrow and the result

SANDBOX_CONFIG = {
    "enable_external_access": False,
    "lock_configuration": True,
    "threads": 1,
    "memory_limit": "512MB",  # DuckDB's buffers; strings built by one function call are bounded by CHILD_MEMORY_MB
    "max_temp_directory_size": "0KiB",  # nothing spills to disk either
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
QUERY_STATEMENTS = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.CALL,
    }
)

# DuckDB's exception classes, most specific first, mapped to the console's message codes.
ERROR_CODES: tuple[tuple[type[Exception], str], ...] = (
    (duckdb.InterruptException, "timeout"),
    (duckdb.PermissionException, "permission"),
    (duckdb.ParserException, "syntax"),
    (duckdb.CatalogException, "unknown_name"),
    (duckdb.BinderException, "binder"),
    (duckdb.OutOfMemoryException, "memory"),
    (duckdb.ConversionException, "conversion"),
    (duckdb.InvalidInputException, "invalid"),
    (duckdb.IOException, "database"),
    (duckdb.Error, "other"),
)
NO_MATCHING_FUNCTION = "No function matches the given name and argument types"
# The same, by the text DuckDB puts first (an error raised while a result streams comes as OSError).
ERROR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("INTERRUPT Error", "timeout"),
    ("Out of Memory Error", "memory"),
    ("Invalid Input Error", "invalid"),
    ("Conversion Error", "conversion"),
    ("Binder Error", "binder"),
    ("Catalog Error", "unknown_name"),
    ("Permission Error", "permission"),
    ("Parser Error", "syntax"),
    ("IO Error", "database"),
)


class SqlError(Exception):
    """A query that did not run: `code` picks the message (sql.error.<code>), `detail` is DuckDB's text."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Exactly one query statement, or SqlError saying why not."""
    if not sql.strip():
        raise SqlError("empty")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlError("syntax", str(exc)) from None
    if not statements:
        raise SqlError("empty")
    if len(statements) > 1:
        raise SqlError("one_statement", f"{len(statements)} statements")
    kind = statements[0].type
    if kind not in QUERY_STATEMENTS:
        raise SqlError("not_a_query", kind.name)


def worker(sender, sql: str, copy: str, max_rows: int, max_bytes: int) -> None:
    """In the child: cap the address space, run the query, send back Arrow IPC bytes or an error.

    The bytes go as one message of their own (`send_bytes`), so the parent receives them without a
    pickled copy; its Arrow table reads them in place."""
    # On top of what the process already maps (thread stacks and allocator arenas inherited from the
    # forkserver vary with what it loaded): the cap bounds what the query can add.
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + CHILD_MEMORY_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    quiet = os.open(os.devnull, os.O_WRONLY)  # DuckDB draws a progress bar on the terminal it shares with the server
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    sender.send(("started",))
    try:
        con = duckdb.connect(copy, read_only=True, config=SANDBOX_CONFIG)
        try:
            check_statement(con, sql)
            table, truncated = fetch_arrow(con, sql, max_rows, max_bytes, server_folders(copy))
        finally:
            con.close()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        sender.send(("ok", truncated))
        sender.send_bytes(sink.getvalue())
    except SqlError as exc:
        sender.send(("error", exc.code, exc.detail))
    except MemoryError as exc:
        sender.send(("error", "memory", str(exc) or "out of memory"))
    except Exception as exc:  # noqa: BLE001 - every failure of a user's query becomes a message, never a traceback
        sender.send(("error", error_code(exc), str(exc).strip()))
    finally:
        sender.close()


def error_code(exc: BaseException) -> str:
    """The message code for a DuckDB (or Arrow) error; errors raised while streaming arrive as OSError
    carrying DuckDB's text ("Invalid Input Error: …", "INTERRUPT Error: …")."""
    if isinstance(exc, duckdb.BinderException) and NO_MATCHING_FUNCTION in str(exc):
        return "types"  # repeat('x', 4e9): 4e9 is a DOUBLE, and repeat takes a BIGINT count, at any size
    for cls, code in ERROR_CODES:
        if isinstance(exc, cls):
            return code
    text = str(exc)
    for prefix, code in ERROR_PREFIXES:
        if text.startswith(prefix):
            return code
    return "other"


def server_folders(copy: str) -> tuple[str, ...]:
    """The server's folders DuckDB's catalogue functions name (`duckdb_databases()`, `PRAGMA database_list`,
    `duckdb_settings()`: the copy's path, temp_directory, allowed_paths, secret_directory), longest first,
    each with its trailing slash: cut from every text and blob of a result, they leave the file names."""
    folders = {str(Path(copy).resolve().parent), str(Path(copy).parent), str(Path.home())}
    return tuple(sorted((f.rstrip("/") + "/" for f in folders if f.strip("/")), key=len, reverse=True))


def redact_array(array: pa.Array, folders: tuple[str, ...]) -> pa.Array:
    """`array` with every `folders` prefix cut from its text and blob values, at any depth of lists, structs
    and maps; other values are untouched. A column without text comes back as it was (no copy)."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        for folder in folders:
            if pc.any(pc.match_substring(array, pattern=folder)).as_py():  # no copy of a column without it
                array = pc.replace_substring(array, pattern=folder, replacement="")
        return array
    if pa.types.is_dictionary(kind):
        return pa.DictionaryArray.from_arrays(array.indices, redact_array(array.dictionary, folders))
    if array.offset and (
        pa.types.is_struct(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind)
    ):
        array = pa.concat_arrays([array])  # offsets and children from zero
    if pa.types.is_struct(kind):
        fields = [redact_array(child, folders) for child in array.flatten()]
        return pa.StructArray.from_arrays(fields, fields=list(kind), mask=array.is_null())
    if pa.types.is_map(kind):
        keys, items = redact_array(array.keys, folders), redact_array(array.items, folders)
        return pa.MapArray.from_arrays(array.offsets, keys, items, type=kind, mask=array.is_null())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        values = redact_array(array.values, folders)
        return type(array).from_arrays(array.offsets, values, type=kind, mask=array.is_null())
    return array


def redact_table(table: pa.Table, folders: tuple[str, ...]) -> pa.Table:
    """`table` with the server's folders cut from its text (after the byte cap: it only shortens values)."""
    if not folders or not table.num_rows:
        return table
    columns = [
        pa.chunked_array([redact_array(chunk, folders) for chunk in column.chunks], column.type) for column in table.columns
    ]
    return pa.Table.from_arrays(columns, schema=table.schema)


def fetch_arrow(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    max_rows: int,
    max_bytes: int = MAX_RESULT_BYTES,
    folders: tuple[str, ...] = (),
) -> tuple[pa.Table, bool]:
    relation = con.sql(sql)
    if relation is None:  # a statement without a result set
        return pa.table({}), False
    reader = relation.to_arrow_reader(BATCH_ROWS)
    batches, count, size = [], 0, 0
    for batch in reader:
        batches.append(batch)
        count += batch.num_rows
        size += batch.nbytes
        if count > max_rows or size > max_bytes:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if size > max_bytes:  # keep the rows that fit: rows of one batch are about equally wide
        keep = max(0, int(len(table) * max_bytes / size))
        return redact_table(table.slice(0, min(keep, max_rows)), folders), True
    return redact_table(table.slice(0, max_rows), folders), count > max_rows
