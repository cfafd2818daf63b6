"""Command line.

    python -m analysis build                  write the figure database and print its path
    python -m analysis import FILE [--name]   check a CSV of figures and store it as a new import version
    python -m analysis versions               list the import versions
    python -m analysis rollback VERSION       stop showing a version's figures (restore brings them back)
    python -m analysis restore VERSION
    python -m analysis sql "QUERY"            run one read-only query in the sandbox, print CSV
    python -m analysis export --out FILE.pptx build a briefing pack (see analysis/briefing_cli.py)
    python -m analysis repair-store           repair damaged saved scenarios / import versions (keeps a backup)
    python -m analysis prune-imports --keep N remove rolled-back import versions older than the N newest
    python -m analysis migrate-userdata --to postgresql://…
                                              copy saved scenarios and import versions from the files into
                                              PostgreSQL (idempotent; refuses on conflicts, writing nothing)

Exit status 0 on success, 1 when the input was refused or the command failed (the message is on stderr),
2 for usage errors. No command prints a traceback: an unexpected error is one line naming its kind
(ATLAS_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.briefing_cli import add_export_command, run_export
from analysis.i18n import t

MAX_PROBLEMS_PRINTED = 30  # as many as the Imports page shows; the count says how many more


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Compute Atlas tools")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="validate datasets/ and write the DuckDB figure database")
    build_parser.add_argument("--datasets", type=Path, default=None, help="folder of CSVs (default: datasets/)")
    build_parser.add_argument("--out", type=Path, default=None, help="database file (default: build/atlas.duckdb)")
    build_parser.add_argument("--force", action="store_true", help="rebuild even when the database is whole and up to date")
    import_parser = commands.add_parser("import", help="check a CSV of newer figures and store it as an import version")
    import_parser.add_argument("file", type=Path, help="CSV in the shape of the import template")
    import_parser.add_argument("--name", default=None, help="version name (default: the file name without .csv)")
    import_parser.add_argument("--check-only", action="store_true", help="check the file and store nothing")
    commands.add_parser("versions", help="list the import versions")
    for action in ("rollback", "restore"):
        action_parser = commands.add_parser(action, help=f"{action} an import version")
        action_parser.add_argument("version", help="version id, e.g. v0001")
    sql_parser = commands.add_parser("sql", help="run one read-only query in the SQL console's sandbox; print CSV")
    sql_parser.add_argument("query", help="one SQL statement")
    sql_parser.add_argument("--timeout", type=_timeout_seconds, default=None, help="seconds before the query is stopped")
    commands.add_parser("repair-store", help="repair damaged user data (saved scenarios, import versions); keeps a backup")
    prune_parser = commands.add_parser("prune-imports", help="remove the oldest rolled-back import versions (active ones stay)")
    prune_parser.add_argument(
        "--keep", type=_count, required=True, help="how many of the newest versions to keep whatever their status"
    )
    migrate_parser = commands.add_parser(
        "migrate-userdata", help="copy the files' saved scenarios and import versions into PostgreSQL (safe to run again)"
    )
    migrate_parser.add_argument(
        "--to", default=None, help="the database's URL, postgresql://… (default: ATLAS_USERDATA_URL)", metavar="URL"
    )
    migrate_parser.add_argument(
        "--from", dest="source", type=Path, default=None, help="the user-data folder (default: ATLAS_USER_DATA_DIR)"
    )
    add_export_command(commands)  # briefing export: analysis/briefing_cli.py
    args = parser.parse_args(argv)
    handler = {
        "export": run_export,
        "build": _build,
        "import": _import,
        "versions": _versions,
        "rollback": _set_status,
        "restore": _set_status,
        "sql": _sql,
        "repair-store": _repair_store,
        "prune-imports": _prune_imports,
        "migrate-userdata": _migrate_userdata,
    }[args.command]
    try:
        if args.command != "repair-store":
            _remove_stale_temp_files()
        return handler(args)
    except Exception as exc:  # the last guard: a short message, never a traceback or a server path
        if os.environ.get(DEBUG_ENV):
            raise
        return _unexpected(args.command, exc)


DEBUG_ENV = "ATLAS_DEBUG"  # set to 1 to see the traceback of an unexpected error


def _unexpected(command: str, exc: Exception) -> int:
    from analysis.textsafe import redact_paths

    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else redact_paths(exc)
    print(
        f"{command}: failed ({type(exc).__name__}: {str(reason)[:300]}); set {DEBUG_ENV}=1 to see where",
        file=sys.stderr,
    )
    return 1


def _timeout_seconds(text: str) -> float:
    """`--timeout`: read by analysis.numbers (ASCII digits, finite), above 0 and at most the console's maximum;
    anything else is a usage error (exit 2), as argparse gives for any option it cannot read."""
    from analysis.numbers import NumberError, parse_number
    from analysis.sqlconsole import MAX_TIMEOUT_SECONDS

    try:
        seconds = parse_number(text, max_value=MAX_TIMEOUT_SECONDS)
    except NumberError:
        seconds = 0.0
    if seconds <= 0:
        limit = t("sql.error.bad_timeout", "en", max_seconds=f"{MAX_TIMEOUT_SECONDS:g}")
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not accepted. {limit}")
    return seconds


def _remove_stale_temp_files() -> None:
    from analysis.userstore import remove_stale_temp_files

    try:
        remove_stale_temp_files()
    except OSError:  # a read-only or missing user-data folder is no reason to refuse a command
        pass


def _count(text: str) -> int:
    """A whole number, 0 or more, in ASCII digits (argparse turns the ValueError into a usage error, exit 2)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number from 0 to 999999")
    return int(text)


REPAIR_HINT = "`python -m analysis repair-store` repairs it and keeps a backup"


def _store_refused(what: str, exc: Exception) -> int:
    from analysis.imports import QuotaError
    from analysis.textsafe import redact_paths

    hint = "" if isinstance(exc, QuotaError) else f"; {REPAIR_HINT}"
    print(f"{what}: {redact_paths(exc)}{hint}", file=sys.stderr)
    return 1


def _prune_imports(args: argparse.Namespace) -> int:
    from analysis.imports import open_import_store, quota
    from analysis.userstore import StoreError

    store = open_import_store()
    try:
        pruned = store.prune(args.keep)
        left = store.versions()
    except StoreError as exc:
        return _store_refused("nothing pruned", exc)
    for version in pruned:
        print(f"removed {version.version_id} '{version.name}' (rolled back, {version.row_count} figure(s))", file=sys.stderr)
    limits = quota()
    used = store.stored_bytes() / 2**20
    print(
        f"{len(pruned)} version(s) removed; {len(left):,} of {limits.versions:,} versions and "
        f"{used:.1f} of {limits.megabytes:g} MB of the quota in use",
        file=sys.stderr,
    )
    return 0


def _repair_store(args: argparse.Namespace) -> int:
    from analysis.repair import repair_store
    from analysis.textsafe import redact_paths
    from analysis.userstore import StoreError

    try:
        report = repair_store()
    except (OSError, StoreError) as exc:  # a database error names no host or user
        print(f"repair failed; nothing was removed: {redact_paths(exc)}", file=sys.stderr)
        return 1
    if not report.actions:
        print("the user-data store is sound; nothing to repair", file=sys.stderr)
        return 0
    for action in report.actions:
        print(f"- {action}", file=sys.stderr)
    if report.backup is not None:  # named inside the user-data folder (ATLAS_USER_DATA_DIR), not by its server path
        print(f"the files as they were are kept in {report.backup.name}/ under backups/ in the user-data folder", file=sys.stderr)
    return 0


def _migrate_userdata(args: argparse.Namespace) -> int:
    from analysis import paths
    from analysis.migrate_userdata import MigrationRefused, migrate_userdata
    from analysis.textsafe import redact_paths
    from analysis.userstore import StoreError
    from analysis.userstore_pg import is_postgres_url

    url = args.to or paths.userdata_url()
    if not is_postgres_url(url):  # the URL itself is never printed: it may hold a password
        print("migrate-userdata: --to (or ATLAS_USERDATA_URL) must name a PostgreSQL database, postgresql://…", file=sys.stderr)
        return 2
    source = args.source or paths.user_data_dir()
    if not source.is_dir():
        print("migrate-userdata: the user-data folder does not exist; nothing to move", file=sys.stderr)
        return 1
    try:
        report = migrate_userdata(url, source)
    except MigrationRefused as exc:
        return _store_refused("nothing moved", exc)
    except StoreError as exc:  # the database cannot be used; its message names no host or user
        print(f"nothing moved: {redact_paths(exc)}", file=sys.stderr)
        return 1
    for item in report.conflicts:
        print(f"conflict: {item}", file=sys.stderr)
    if report.conflicts:
        print(
            f"nothing moved: {len(report.conflicts)} conflict(s); the files and the database are both unchanged. "
            "Rename or delete one side's item, then run the command again",
            file=sys.stderr,
        )
        return 1
    for item in report.added:
        print(f"added: {item}", file=sys.stderr)
    for item in report.present:
        print(f"already present: {item}", file=sys.stderr)
    print(
        f"{len(report.added)} added, {len(report.present)} already present; the files are unchanged "
        "(keep them as a backup, or remove them once the servers use the database)",
        file=sys.stderr,
    )
    return 0


def _build(args: argparse.Namespace) -> int:
    from analysis import paths
    from analysis.buildstamp import datasets_hash, verified_build

    out = Path(args.out or paths.database_path())
    verified = verified_build(out, full=True)  # by content: damage may keep the file's size and mtime
    if not args.force and verified is not None and verified[0] == datasets_hash(args.datasets):
        # `make run` calls this every time: a whole database built from today's datasets/ is kept.
        print("up to date: datasets/ has not changed since this build (--force rebuilds)", file=sys.stderr)
        print(out)
        return 0
    from analysis.build import BuildError, build

    try:
        result = build(args.datasets, args.out)
    except BuildError as exc:
        print(f"Build failed; the previous database (if any) is unchanged.\n{exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{name} {n}" for name, n in result.row_counts.items())
    print(f"rows: {counts}", file=sys.stderr)
    print(result.path)
    return 0


def _database():
    """The current figure database (built first if missing or stale), read-only."""
    from analysis.db import connect_readonly, ensure_database

    status = ensure_database()
    if status.problem is not None:
        print(f"warning: datasets/ has problems; using the last good build.\n{status.problem}", file=sys.stderr)
    return status.path, connect_readonly(status.path)


def _import(args: argparse.Namespace) -> int:
    from analysis.build import BuildError
    from analysis.imports import ImportNameError, check_import_file, open_import_store
    from analysis.textsafe import redact_paths
    from analysis.userstore import StoreError

    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 1
    try:
        _, con = _database()
    except BuildError as exc:
        print(f"No figure database to check against.\n{exc}", file=sys.stderr)
        return 1
    try:
        check = check_import_file(con, args.file)
    finally:
        con.close()
    if not check.ok:
        problems = "\n".join(f"  - {p}" for p in check.problems[:MAX_PROBLEMS_PRINTED])
        more = len(check.problems) - MAX_PROBLEMS_PRINTED
        if more > 0:
            problems += f"\n  … and {more:,} more problem(s); fix these first"
        print(f"{args.file}: not imported, {len(check.problems)} problem(s); nothing was stored.\n{problems}", file=sys.stderr)
        return 1
    if args.check_only:
        print(f"{args.file}: {len(check.rows)} figure(s), no problems (nothing stored).", file=sys.stderr)
        return 0
    try:
        version = open_import_store().apply(check, args.name or args.file.stem)
    except StoreError as exc:  # damaged (the pages say so too), or full
        return _store_refused(f"{args.file.name}: not imported", exc)
    except (ImportNameError, OSError) as exc:
        print(f"{args.file.name}: not imported: {redact_paths(exc)}", file=sys.stderr)
        return 1
    print(f"imported {version.row_count} figure(s) as {version.version_id} '{version.name}'", file=sys.stderr)
    print(version.version_id)
    return 0


def _versions(args: argparse.Namespace) -> int:
    from analysis.imports import open_import_store
    from analysis.userstore import StoreError

    try:
        versions = open_import_store().versions()
    except StoreError as exc:
        return _store_refused("cannot list the versions", exc)
    print("version,name,file,rows,imported_at,status")
    for v in versions:
        print(",".join(_csv_cell(x) for x in (v.version_id, v.name, v.file_name, v.row_count, v.created_at, v.status)))
    return 0


def _csv_cell(value: object) -> str:
    from analysis.textsafe import csv_safe_cell

    text = str(csv_safe_cell(str(value)))
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text


def _set_status(args: argparse.Namespace) -> int:
    from analysis.imports import open_import_store
    from analysis.userstore import StoreError

    try:
        version = getattr(open_import_store(), args.command)(args.version)
    except KeyError:
        print(f"no import version {args.version!r}; `python -m analysis versions` lists them", file=sys.stderr)
        return 1
    except StoreError as exc:
        return _store_refused(f"{args.version} unchanged", exc)
    except OSError as exc:
        return _unexpected(args.command, exc)
    print(f"{version.version_id} '{version.name}' is now {version.status.replace('_', ' ')}", file=sys.stderr)
    return 0


def _sql(args: argparse.Namespace) -> int:
    from analysis import sqlconsole
    from analysis.build import BuildError

    try:
        db_path, con = _database()
        con.close()
    except BuildError as exc:
        print(f"No figure database to query.\n{exc}", file=sys.stderr)
        return 1
    timeout = sqlconsole.TIMEOUT_SECONDS if args.timeout is None else args.timeout
    limits = {
        "seconds": f"{timeout:g}",
        "max_rows": f"{sqlconsole.MAX_ROWS:,}",
        "mb": sqlconsole.MAX_RESULT_MB,
        "memory": f"{sqlconsole.CHILD_MEMORY_MB:,}",
        "max_seconds": f"{sqlconsole.MAX_TIMEOUT_SECONDS:g}",
        "total_mb": sqlconsole.RESULT_BUDGET_MB,
    }
    try:
        result = sqlconsole.run_sql(args.query, db_path=db_path, timeout_s=timeout)
    except sqlconsole.SqlError as exc:
        message = t(f"sql.error.{exc.code}", "en", **limits)
        print(f"{message}\n{exc.detail}".rstrip(), file=sys.stderr)
        return 1
    try:
        for chunk in sqlconsole.csv_chunks(result, guard_formulas=False):  # a slice at a time, as the page's CSV
            sys.stdout.write(chunk)
    except BrokenPipeError:  # `… | head`: the reader has what it wanted
        return 0
    if result.truncated:
        print(f"note: {t('sql.truncated', 'en', **limits, rows=f'{result.row_count:,}')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
