"""Saved scenarios in PostgreSQL, for a team deployment (`ATLAS_USERDATA_URL=postgresql://…`).

The same interface, validation and size bounds as `userstore.ScenarioStore` (the files, the embedded default):
`names`, `load`, `save`, `delete`, `saved_at`. Each change is one statement in its own transaction, so
concurrent writers on any number of servers never lose one another's scenario. The schema is created and
migrated by the app itself (`migrate`): versioned in `schema_version`, idempotent, and serialised by an
advisory lock so two servers starting together apply each step once.

A stored row that no longer passes the checks (edited by hand, written by another tool) is left out of
`names()` and listed by `problems()`: one damaged row does not hide the others. Imported figures live in the
same database (analysis/imports_pg.py), through `connected`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from analysis import auth
from analysis.safejson import UnsafeJSON, loads
from analysis.scenario import BASELINE_NAME, parse_values, validate_name
from analysis.userstore import StoreError, checked_for_save, checked_on_load, scenario_record

# The values of one scenario are a few dozen numbers; a row above this was not written by this product.
MAX_VALUES_BYTES = 64 * 1024
MAX_NAME_CHARS_STORED = 200  # validate_name allows 60; the column leaves room, the read check holds the rule
_ADVISORY_LOCK = 0x41544C53  # "ATLS": serialises migrations across servers
# A version's rows as stored: an import file is at most 2 MB (imports.MAX_IMPORT_BYTES), and written back out
# it can grow (a float's repr); twice that holds any import the check passes.
MAX_ROWS_BYTES = 4 * 1_000_000
POOL_TIMEOUT = 10.0  # seconds to wait for a connection before the store reports the database unusable

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        f"""
        CREATE TABLE scenarios (
            name text PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND {MAX_NAME_CHARS_STORED}),
            values_json text NOT NULL CHECK (octet_length(values_json) <= {MAX_VALUES_BYTES}),
            saved_at text NOT NULL
        )
        """,
    ),
    (
        # Imported figures (analysis/imports_pg.py): one row per version, its rows as the CSV bytes the file store
        # keeps; `import_state` holds the store's revision and the highest number ever given out, and its one row
        # is the lock every import write takes.
        2,
        f"""
        CREATE TABLE import_state (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0),
            last_number integer NOT NULL DEFAULT 0 CHECK (last_number BETWEEN 0 AND 9999)
        );
        INSERT INTO import_state DEFAULT VALUES;
        CREATE TABLE import_versions (
            version_id text PRIMARY KEY CHECK (version_id ~ '^v[0-9]{{4}}$'),
            name text NOT NULL CHECK (char_length(name) <= {MAX_NAME_CHARS_STORED}),
            file_name text NOT NULL CHECK (char_length(file_name) <= {MAX_NAME_CHARS_STORED}),
            sha256 text NOT NULL CHECK (char_length(sha256) <= 64),
            row_count integer NOT NULL CHECK (row_count >= 0),
            created_at text NOT NULL CHECK (char_length(created_at) <= 40),
            status text NOT NULL CHECK (status IN ('active', 'rolled_back')),
            changed_at text NOT NULL DEFAULT '' CHECK (char_length(changed_at) <= 40),
            rows_sha256 text NOT NULL CHECK (char_length(rows_sha256) = 64),
            rows_csv bytea NOT NULL CHECK (octet_length(rows_csv) <= {MAX_ROWS_BYTES})
        )
        """,
    ),
    (  # sign-in: who owns a scenario (NULL: shared by all, as every scenario saved before) and whether it is shared
        3,
        f"""
        ALTER TABLE scenarios
            ADD COLUMN owner text CHECK (char_length(owner) <= {auth.MAX_USER_CHARS}),
            ADD COLUMN shared boolean NOT NULL DEFAULT true
        """,
    ),
    (  # the audit log (analysis/audit.py): who imported, rolled back, saved or deleted what, and when
        4,
        f"""
        CREATE TABLE audit_log (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL CHECK (char_length(actor) <= {auth.MAX_USER_CHARS}),
            action text NOT NULL CHECK (char_length(action) <= 40),
            target text NOT NULL CHECK (char_length(target) <= 400),
            detail text NOT NULL CHECK (char_length(detail) <= 2000)
        )
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_pools: dict[str, object] = {}
_pools_lock = threading.Lock()
_migrated: set[str] = set()


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _unreachable(exc: Exception) -> StoreError:
    # psycopg's message can hold the host, port and user; a visitor sees none of them
    reason = type(exc).__name__
    return StoreError(f"the user-data database cannot be used ({reason})", [f"{reason}: {exc}"])


def pool(url: str):
    """One connection pool per database URL in this process."""
    from psycopg_pool import ConnectionPool

    with _pools_lock:
        found = _pools.get(url)
        if found is None:
            found = ConnectionPool(url, min_size=1, max_size=8, open=True, timeout=POOL_TIMEOUT, kwargs={"autocommit": False})
            _pools[url] = found
        return found


def close_pools() -> None:
    """Close every pool (tests, and a clean shutdown)."""
    with _pools_lock:
        for each in _pools.values():
            each.close()
        _pools.clear()
        _migrated.clear()


def migrate(url: str) -> int:
    """Create or bring the schema up to `SCHEMA_VERSION`; returns the version found before. Safe to run again."""
    import psycopg

    try:
        with pool(url).connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            before = int(row[0])
            if before > SCHEMA_VERSION:
                raise StoreError(
                    f"the user-data database has schema version {before}; this app knows up to {SCHEMA_VERSION}",
                    [f"schema version {before} is newer than this app's {SCHEMA_VERSION}"],
                )
            for version, statement in MIGRATIONS:
                if version > before:
                    conn.execute(statement)
                    conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    except psycopg.Error as exc:
        raise _unreachable(exc) from None
    return before


@contextmanager
def connected(url: str) -> Iterator:
    """A pooled connection inside one transaction, the schema migrated first (once per process): committed when
    the block ends, rolled back when it raises. A database error is a StoreError that names no host or user."""
    import psycopg

    if not is_postgres_url(url):  # never a silent fall back to files: a team would save on one disk
        raise StoreError(
            "ATLAS_USERDATA_URL must name a PostgreSQL database (postgresql://…)",
            ["ATLAS_USERDATA_URL is set but is not a postgresql:// URL"],
        )
    if url not in _migrated:
        migrate(url)
        _migrated.add(url)
    try:
        with pool(url).connection() as conn, conn.transaction():
            yield conn
    except psycopg.Error as exc:
        raise _unreachable(exc) from None


def in_transaction(url: str, work):
    """`work(conn)` in one transaction of `connected`. An exception `work` raises itself (KeyError,
    PermissionDenied) rolls the transaction back and goes on up."""
    with connected(url) as conn:
        return work(conn)


def row_problems(name: object, values_json: object, saved_at: object) -> list[str]:
    """Everything wrong with one stored row (empty when it is sound): the same rules as the file store's."""
    shown = str(name)[:40]
    try:
        valid = isinstance(name, str) and validate_name(name, stored=True) == name
    except ValueError:
        valid = False
    if not valid:
        return [f"the name {shown!r} cannot be a scenario name"]
    if not isinstance(values_json, str) or len(values_json.encode("utf-8")) > MAX_VALUES_BYTES:
        return [f"scenario {shown!r} has values larger than {MAX_VALUES_BYTES} bytes"]
    try:
        values = loads(values_json)
    except UnsafeJSON as exc:
        return [f"scenario {shown!r} has values that are not readable JSON ({exc})"]
    if not isinstance(values, dict):
        return [f"scenario {shown!r} has no values"]
    if not isinstance(saved_at, str):
        return [f"scenario {shown!r} has a saved_at that is not text"]
    return []


class PostgresScenarioStore:
    """Named scenarios in one PostgreSQL table. `baseline` is the report's defaults and cannot be changed."""

    def __init__(self, url: str):
        self.url = url  # nothing is opened here: a wrong or unreachable database is a StoreError at the first use

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        def one(conn):
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]

        return in_transaction(self.url, one)

    def _locked_owner(self, conn, name: str) -> tuple[bool, str | None]:
        """Within a transaction: take the scenario name's lock (held to its end) and read (exists, owner)."""
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_ADVISORY_LOCK, name))
        row = conn.execute("SELECT owner FROM scenarios WHERE name = %s", (name,)).fetchone()
        return row is not None, (row[0] if row else None)

    def owners(self) -> dict[str, tuple[str | None, bool]]:
        """As `ScenarioStore.owners`: each scenario's owner (None: shared by all) and whether it is shared."""
        return {
            name: (owner or None, bool(shared))
            for name, owner, shared in self._query("SELECT name, owner, shared FROM scenarios")
        }

    def _rows(self) -> tuple[dict[str, dict], list[str]]:
        sound, problems = {}, []
        for name, values_json, saved_at in self._query("SELECT name, values_json, saved_at FROM scenarios"):
            found = row_problems(name, values_json, saved_at)
            if found:
                problems += found
            else:
                sound[name] = {"values": loads(values_json), "saved_at": saved_at}
        return sound, problems

    def problems(self) -> list[str]:
        """Stored rows left out because they fail the checks (empty when every row is sound)."""
        return self._rows()[1]

    def names(self) -> list[str]:
        return [BASELINE_NAME, *sorted(self._rows()[0])]

    def _stored(self, name: str) -> dict | None:
        rows = self._query("SELECT name, values_json, saved_at FROM scenarios WHERE name = %s", (name,))
        if not rows:
            return None
        found = row_problems(*rows[0])
        if found:
            raise StoreError(f"saved scenario is damaged: {found[0]}", found)
        return {"values": loads(rows[0][1]), "saved_at": rows[0][2]}

    def load(self, name: str) -> dict[str, object]:
        """As `ScenarioStore.load`: KeyError when absent, StoredScenarioInvalid when a value is refused today,
        StoreError when the row itself is damaged."""
        if name == BASELINE_NAME:
            return parse_values({})[0]
        stored = self._stored(name)
        if stored is None:
            raise KeyError(name)
        return checked_on_load(name, stored["values"])

    def save(
        self, name: str, values: Mapping[str, object], *, actor: auth.Identity = auth.SINGLE_USER, shared: bool = True
    ) -> str:
        """Save (or overwrite) a scenario in one transaction; returns the name as stored. ValueError for bad input,
        auth.PermissionDenied when `actor` may not replace the scenario saved under that name."""
        name, kept = checked_for_save(name, values)
        values_json = json.dumps(kept, ensure_ascii=False)
        if len(values_json.encode("utf-8")) > MAX_VALUES_BYTES:
            raise ValueError(f"the scenario's values exceed {MAX_VALUES_BYTES} bytes")

        def write(conn):
            exists, owner = self._locked_owner(conn, name)
            record = scenario_record(name, kept, {"owner": owner} if exists else None, actor, shared)
            conn.execute(
                "INSERT INTO scenarios (name, values_json, saved_at, owner, shared) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (name) DO UPDATE SET values_json = EXCLUDED.values_json, saved_at = EXCLUDED.saved_at,"
                " owner = EXCLUDED.owner, shared = EXCLUDED.shared",
                (name, values_json, record["saved_at"], record.get("owner"), record["shared"]),
            )

        in_transaction(self.url, write)
        return name

    def delete(self, name: str, *, actor: auth.Identity = auth.SINGLE_USER) -> None:
        if name == BASELINE_NAME:
            raise ValueError("the baseline scenario cannot be deleted")

        def remove(conn):
            exists, owner = self._locked_owner(conn, name)
            if not exists:
                raise KeyError(name)
            auth.check_change_scenario(actor, name, owner)
            conn.execute("DELETE FROM scenarios WHERE name = %s", (name,))

        in_transaction(self.url, remove)

    def saved_at(self, name: str) -> str:
        if name == BASELINE_NAME:
            return ""
        try:
            stored = self._stored(name)
        except StoreError:
            return ""
        return "" if stored is None else str(stored["saved_at"])
