"""The read path: build on demand, rebuild when datasets/ changes, keep the last good build."""

from __future__ import annotations

import os

import pytest
from conftest import set_cell

from analysis.build import BuildError
from analysis.db import ensure_database, query, shared_connection

SQL_VALUE = "SELECT value FROM figures WHERE figure_id = ?"


def value_of(con, figure_id: str) -> float:
    return float(query(con, SQL_VALUE, [figure_id])["value"].iloc[0])


def test_builds_when_missing_then_reuses(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    first = ensure_database(datasets_copy, db_path)
    assert first.rebuilt and db_path.exists() and first.problem is None
    second = ensure_database(datasets_copy, db_path)
    assert not second.rebuilt
    assert second.datasets_hash == first.datasets_hash


def test_rebuild_is_visible_to_the_shared_connection(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    status = ensure_database(datasets_copy, db_path)
    con = shared_connection(db_path, status.datasets_hash)
    # 1750亿参数, the report's GPT-3 size (「AIGC潮起…」).
    assert value_of(con, "gpt3_parameters") == 1750
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "1751")
    changed = ensure_database(datasets_copy, db_path)
    assert changed.rebuilt and changed.datasets_hash != status.datasets_hash
    assert value_of(shared_connection(db_path, changed.datasets_hash), "gpt3_parameters") == 1751


def test_bad_edit_keeps_last_good_build_and_reports_it(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    good = ensure_database(datasets_copy, db_path)
    before = db_path.read_bytes()
    line = set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "lots")
    stale = ensure_database(datasets_copy, db_path)
    assert stale.stale and not stale.rebuilt
    assert stale.datasets_hash == good.datasets_hash
    assert any(p.line == line and p.column == "value" for p in stale.problem.problems)
    assert db_path.read_bytes() == before


def test_bad_data_and_no_database_raises(datasets_copy, tmp_path):
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "unit", "furlongs")
    with pytest.raises(BuildError, match="unknown unit 'furlongs'"):
        ensure_database(datasets_copy, tmp_path / "atlas.duckdb")
    assert not (tmp_path / "atlas.duckdb").exists()


def test_query_binds_parameters(built_db):
    con = shared_connection(built_db, "session-build")
    injected = query(con, SQL_VALUE, ["x' OR '1'='1"])
    assert injected.empty


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
def test_a_damaged_database_file_is_noticed_with_a_connection_open_and_rebuilt(datasets_copy, tmp_path, damage):
    db_path = tmp_path / "atlas.duckdb"
    good = ensure_database(datasets_copy, db_path)
    con = shared_connection(db_path, good.cache_key)  # DuckDB's in-process cache would answer for the old file
    assert value_of(con, "gpt3_parameters") == 1750
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:
        if damage == "truncate":
            handle.truncate(size // 3)
        else:
            handle.seek(size // 2)
            handle.write(os.urandom(64 * 1024))
    healed = ensure_database(datasets_copy, db_path)
    assert healed.rebuilt and healed.problem is None
    assert healed.datasets_hash == good.datasets_hash and healed.cache_key != good.cache_key
    assert value_of(shared_connection(db_path, healed.cache_key), "gpt3_parameters") == 1750
    assert not ensure_database(datasets_copy, db_path).rebuilt


def test_an_unchanged_build_is_not_rebuilt_and_a_touched_file_is_checked_by_content(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    first = ensure_database(datasets_copy, db_path)
    os.utime(db_path)  # same bytes, new mtime: the sha256 decides
    second = ensure_database(datasets_copy, db_path)
    assert not second.rebuilt and second.cache_key == first.cache_key


def test_build_command_skips_an_up_to_date_database(datasets_copy, tmp_path, capsys):
    from analysis.__main__ import main

    out = tmp_path / "atlas.duckdb"
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    mtime = out.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().err and out.stat().st_mtime_ns == mtime
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "1751")
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    assert out.stat().st_mtime_ns != mtime
