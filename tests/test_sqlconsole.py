"""The SQL console: the sandbox refuses files, network, ATTACH, COPY, extensions and settings; time limit; row cap."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from analysis import sqlconsole
from analysis.i18n import LANGS, catalog
from analysis.sqlconsole import SqlError, open_sandbox, run_sql

# What an attacker would try, and the words DuckDB itself refuses it with, inside the sandbox connection
# (no statement filter involved): the sandbox holds even if the console's own checks were bypassed.
SANDBOX_REFUSALS = [
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled by configuration"),
    ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled by configuration"),
    ("SELECT * FROM glob('/etc/*')", "file system operations are disabled by configuration"),
    ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "file system operations are disabled by configuration"),
    ("ATTACH '/tmp/compute-atlas-sandbox-test.db' AS other", "file system operations are disabled by configuration"),
    ("COPY figures TO '/tmp/compute-atlas-sandbox-test.csv'", "file system operations are disabled by configuration"),
    ("EXPORT DATABASE '/tmp/compute-atlas-sandbox-test'", "file system operations are disabled by configuration"),
    ("INSTALL httpfs", "disabled by configuration"),
    ("LOAD httpfs", "disabled through configuration"),
    ("SET enable_external_access = true", "the configuration has been locked"),
    ("RESET enable_external_access", "the configuration has been locked"),
    ("PRAGMA enable_external_access = true", "the configuration has been locked"),
    ("SET lock_configuration = false", "the configuration has been locked"),
    ("SET allowed_directories = ['/']", "the configuration has been locked"),
    ("SET memory_limit = '64GB'", "the configuration has been locked"),
    ("CREATE TABLE atlas.main.evil (a INTEGER)", "read-only"),
    ("CREATE TABLE evil (a INTEGER)", "read-only"),
    ("USE memory", "No catalog"),
    ("DETACH atlas", "default database"),
    ("DELETE FROM figures", "read-only"),
]


@pytest.mark.parametrize("sql, refusal", SANDBOX_REFUSALS, ids=[s for s, _ in SANDBOX_REFUSALS])
def test_the_sandbox_connection_itself_refuses(built_db, sql, refusal):
    con = open_sandbox(built_db)
    try:
        with pytest.raises(duckdb.Error, match=refusal):
            con.execute(sql)
        # ... and it is still the locked-down sandbox afterwards.
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)
    finally:
        con.close()


def test_the_real_database_file_cannot_be_reached_and_the_copy_is_read_only(built_db):
    con = open_sandbox(built_db)
    try:
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(f"ATTACH '{built_db}' AS real_file")
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(f"SELECT * FROM read_blob('{built_db}')")
        copy = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'atlas'").fetchone()[0]
        assert Path(copy) != built_db and Path(copy).name == built_db.name
        con.execute(f"ATTACH '{copy}' AS again")  # its own file is allowed, but only to read
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE again.evil (a INTEGER)")
    finally:
        con.close()


def test_a_rebuild_gets_a_fresh_copy_and_the_old_one_goes(tmp_path, built_db):
    db = tmp_path / "atlas.duckdb"
    shutil.copyfile(built_db, db)
    first = sqlconsole.sandbox_copy(db)
    assert sqlconsole.sandbox_copy(db) == first
    replacement = tmp_path / "new.duckdb"
    shutil.copyfile(built_db, replacement)
    os.replace(replacement, db)  # as the build does
    second = sqlconsole.sandbox_copy(db)
    assert second != first and second.read_bytes() == db.read_bytes()
    assert not first.exists()


@pytest.mark.parametrize(
    "sql, code",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "permission"),
        ("SELECT * FROM '/etc/passwd'", "unknown_name"),
        ("ATTACH '/tmp/x.db' AS x", "not_a_query"),
        ("COPY figures TO '/tmp/x.csv'", "not_a_query"),
        ("INSTALL httpfs", "not_a_query"),
        ("LOAD httpfs", "not_a_query"),
        ("SET enable_external_access = true", "not_a_query"),
        ("PRAGMA enable_external_access = true", "not_a_query"),
        ("CREATE TABLE t (a INTEGER)", "not_a_query"),
        ("SELECT 1; SELECT 2", "one_statement"),
        ("SELECT 1; ATTACH '/tmp/x.db'", "one_statement"),
        ("", "empty"),
        ("  -- only a comment\n", "empty"),
        ("SELEC 1", "syntax"),
        ("SELECT no_such_column FROM figures", "binder"),
        ("SELECT * FROM no_such_table", "unknown_name"),
        ("SELECT CAST('abc' AS INTEGER)", "conversion"),
    ],
)
def test_console_refuses_with_a_message_code_and_duckdbs_words(built_db, sql, code):
    with pytest.raises(SqlError) as excinfo:
        run_sql(sql, db_path=built_db)
    assert excinfo.value.code == code
    for lang in LANGS:
        assert f"sql.error.{code}" in catalog(lang)


def test_permission_error_keeps_duckdbs_message(built_db):
    with pytest.raises(SqlError) as excinfo:
        run_sql("SELECT * FROM read_csv('/etc/passwd')", db_path=built_db)
    assert "file system operations are disabled by configuration" in excinfo.value.detail
    assert "root:" not in excinfo.value.detail


def test_a_long_query_is_interrupted(built_db):
    # 10^10 rows of a cross join: minutes of work without the limit.
    with pytest.raises(SqlError) as excinfo:
        run_sql("SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b", db_path=built_db, timeout_s=1)
    assert excinfo.value.code == "timeout"
    assert excinfo.value.detail == "1 s"


def test_a_query_works_while_the_apps_shared_connection_is_open(built_db, db_con):
    # db_con is a plain read-only connection to the same file, as the app holds one.
    assert db_con.execute("SELECT count(*) FROM figures").fetchone()[0] > 0
    result = run_sql("SELECT count(*) AS n FROM figures", db_path=built_db)
    assert result.frame["n"].tolist() == [db_con.execute("SELECT count(*) FROM figures").fetchone()[0]]


@pytest.mark.parametrize(
    "sql, rows",
    [
        ("DESCRIBE figures", 14),
        ("SHOW TABLES", None),
        ("PRAGMA table_info('figures')", 14),
        ("SUMMARIZE units", None),
        ("EXPLAIN SELECT 1", 1),
        ("WITH x AS (SELECT 1 AS a) SELECT * FROM x", 1),
        ("FROM figures WHERE figure_id = 'global_ai_server_market_2025'", 1),
    ],
)
def test_read_statements_run(built_db, sql, rows):
    result = run_sql(sql, db_path=built_db)
    assert result.row_count > 0
    if rows is not None:
        assert result.row_count == rows


def test_row_cap_cuts_and_says_so(built_db):
    capped = run_sql("SELECT * FROM range(2500)", db_path=built_db, max_rows=1000)
    assert (capped.row_count, capped.truncated) == (1000, True)
    assert capped.frame["range"].tolist() == list(range(1000))
    exact = run_sql("SELECT * FROM range(1000)", db_path=built_db, max_rows=1000)
    assert (exact.row_count, exact.truncated) == (1000, False)


def test_results_of_any_type_display_as_a_table(built_db):
    sql = (
        "SELECT [1, 2] AS l, {'a': 1} AS s, INTERVAL 1 DAY AS i, 1::HUGEINT AS h, 'x'::BLOB AS b, "
        "map([1], [2]) AS m, 1.5::DECIMAL(10, 2) AS d, DATE '2024-01-01' AS dt, 1 AS a, 2 AS a"
    )
    result = run_sql(sql, db_path=built_db)
    assert list(result.frame.columns)[-2:] == ["a", "a (2)"]
    shown = sqlconsole.display_frame(result)
    nested = ["l", "s", "i", "b", "m"]
    assert all(isinstance(shown.loc[0, c], str) for c in nested), shown.dtypes
    assert shown.loc[0, "s"] == "{'a': 1}"


def test_display_is_capped_and_csv_holds_everything(built_db):
    result = run_sql("SELECT range AS n, '中文' AS label FROM range(1500)", db_path=built_db)
    assert len(sqlconsole.display_frame(result)) == sqlconsole.DISPLAY_ROWS
    text = sqlconsole.result_csv(result).decode("utf-8-sig")
    assert text.splitlines()[0] == "n,label" and len(text.splitlines()) == 1501 and "中文" in text


def test_missing_database_is_a_message(tmp_path):
    with pytest.raises(SqlError) as excinfo:
        run_sql("SELECT 1", db_path=tmp_path / "none.duckdb")
    assert excinfo.value.code == "no_database"


def test_table_overview_names_every_table(db_con):
    overview = sqlconsole.table_overview(db_con)
    assert {"figures", "metrics", "sources", "units", "build_info"} <= set(overview["table_name"])
    figures = overview.set_index("table_name").loc["figures"]
    assert figures["columns"].startswith("figure_id, metric, entity") and figures["description"]


@pytest.mark.parametrize("key", list(sqlconsole.EXAMPLES))
def test_examples_run(built_db, key):
    assert run_sql(sqlconsole.EXAMPLES[key], db_path=built_db).row_count > 0


def test_the_query_process_side_loads_neither_pandas_nor_the_app():
    # The forkserver preloads analysis.sql_sandbox and lives as long as the server: what it imports is held
    # in memory for good (pandas and the app's modules would add about 45 MB to the server's process tree).
    import subprocess
    import sys

    code = (
        "import sys; import analysis.sql_sandbox; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'streamlit', 'plotly') "
        "or (m.startswith('analysis.') and m != 'analysis.sql_sandbox')))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert sqlconsole.query_process.__module__ == "analysis.sql_sandbox"  # what each query process runs
