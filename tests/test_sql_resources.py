"""The SQL console's bounded resources (issue 28, findings 3 and 12): result memory across all sessions, and
no server path in what a query returns.

The heavy query is the one from the issue: 500 columns of empty lists over 20,000 rows, about 40 MB of Arrow
data, under the per-query cap. As a pandas frame it was a Python object per cell, about 1.1 GB per session.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from analysis import sqlconsole
from analysis.i18n import LANGS, catalog
from analysis.sqlconsole import ResultBudget, SqlError, run_sql

HEAVY = "SELECT " + ", ".join(f"[]::INT[] c{i}" for i in range(500)) + " FROM range(20000) t(i)"
MB = 2**20


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_the_heavy_result_is_held_as_its_arrow_bytes_not_a_python_object_per_cell(built_db):
    gc.collect()
    before = rss_bytes()
    budget = ResultBudget(256 * MB)
    result = run_sql(HEAVY, db_path=built_db, timeout_s=60, budget=budget)
    grown = rss_bytes() - before
    assert (result.row_count, result.truncated) == (20_000, False)
    assert 30 * MB < result.nbytes < 64 * MB
    assert budget.used_bytes == result.nbytes
    # Held as pandas it took 1.3 GB of RSS (one session); as Arrow it is its ~40 MB plus the process's noise.
    assert grown < 400 * MB, f"RSS grew by {grown / MB:.0f} MB"
    shown = sqlconsole.display_frame(result)
    assert len(shown) == sqlconsole.DISPLAY_ROWS and shown.loc[0, "c499"] == "[]"


def test_results_share_one_budget_cut_then_refused_and_given_back_when_dropped(built_db):
    """Sessions of one server share the budget: each result reserves its bytes until it is dropped."""
    budget = ResultBudget(100 * MB)
    first = run_sql(HEAVY, db_path=built_db, timeout_s=60, budget=budget)
    second = run_sql(HEAVY, db_path=built_db, timeout_s=60, budget=budget)
    assert not first.truncated and not second.truncated
    # The third finds about 24 MB free: its result is cut there, and it says it ran with less than the cap.
    third = run_sql(HEAVY, db_path=built_db, timeout_s=60, budget=budget)
    assert third.truncated and third.limit_bytes < sqlconsole.MAX_RESULT_BYTES
    assert third.nbytes <= third.limit_bytes and 0 < third.row_count < 20_000
    assert budget.used_bytes == first.nbytes + second.nbytes + third.nbytes <= budget.total_bytes
    # With less than MIN_RESULT_BYTES free, the next is refused with a message code, and nothing is reserved.
    filler = budget.reserve(budget.total_bytes - budget.used_bytes - MB // 2)
    used = budget.used_bytes
    with pytest.raises(SqlError) as excinfo:
        run_sql("SELECT 1", db_path=built_db, budget=budget)
    assert excinfo.value.code == "server_memory" and budget.used_bytes == used
    for lang in LANGS:
        assert "sql.error.server_memory" in catalog(lang) and "sql.truncated_shared" in catalog(lang)
    budget.release(filler)
    # A session that ends (or runs its next query) drops its result; its bytes are free again.
    del first, second, third
    gc.collect()
    assert budget.used_bytes == 0
    assert not run_sql(HEAVY, db_path=built_db, timeout_s=60, budget=budget).truncated


def test_a_failed_query_gives_its_reservation_back(built_db):
    budget = ResultBudget(100 * MB)
    with pytest.raises(SqlError):
        run_sql("SELECT no_such_column FROM figures", db_path=built_db, budget=budget)
    assert budget.used_bytes == 0


def test_a_number_written_with_e_is_a_double_whatever_its_size(built_db):
    """`repeat('x', 4e9)` is a type error, not a size one: 4e0 gets the same. The message says so and how to
    cast; cast to BIGINT, the same call meets the memory limit as `repeat('x', 4000000000)` does."""
    for sql in ("SELECT repeat('x', 4e9)", "SELECT repeat('x', 4e0)"):
        with pytest.raises(SqlError) as excinfo:
            run_sql(sql, db_path=built_db)
        assert excinfo.value.code == "types" and "repeat(STRING_LITERAL, DOUBLE)" in excinfo.value.detail
    for lang in LANGS:
        assert "4e9::BIGINT" in catalog(lang)["sql.error.types"]
    with pytest.raises(SqlError) as excinfo:
        run_sql("SELECT length(repeat('x', 4e9::BIGINT))", db_path=built_db)
    assert excinfo.value.code == "memory"


CATALOGUE_QUERIES = [
    "SELECT path FROM duckdb_databases()",
    "PRAGMA database_list",
    "SELECT current_setting('temp_directory') AS t",
    "SELECT * FROM duckdb_settings()",
    "SELECT [current_setting('temp_directory')] AS l, {'a': current_setting('temp_directory')} AS s, "
    "map([current_setting('temp_directory')], [1]) AS m, current_setting('temp_directory')::BLOB AS b",
]


@pytest.mark.parametrize("sql", CATALOGUE_QUERIES)
def test_catalogue_functions_name_files_not_server_folders(built_db, sql):
    result = run_sql(sql, db_path=built_db)
    text = sqlconsole.result_csv(result).decode("utf-8-sig") + str(result.table.to_pylist())
    for folder in {built_db.resolve().parent, built_db.parent, Path.home()}:
        assert str(folder) not in text
    assert "atlas.duckdb" in text or "stored_secrets" in text  # the file names are still there


def test_text_that_only_looks_like_a_path_is_untouched(built_db):
    result = run_sql("SELECT '/usr/share/x.txt' AS p, 'https://example.com/a/b' AS u", db_path=built_db)
    assert result.table.to_pylist() == [{"p": "/usr/share/x.txt", "u": "https://example.com/a/b"}]


def test_the_download_makes_the_csv_without_keeping_the_result_alive(built_db):
    budget = ResultBudget(100 * MB)
    result = run_sql("SELECT range AS n, '=1+1' AS f FROM range(3)", db_path=built_db, budget=budget)
    download = sqlconsole.csv_download(result)
    assert download().decode("utf-8-sig").splitlines() == ["n,f", "0,'=1+1", "1,'=1+1", "2,'=1+1"]
    del result
    assert budget.used_bytes == 0, "a download button's callable does not hold a replaced result"
